// Finance: a period's statements by status, chosen one by one or all at once, and moved
// along in bulk: submit, approve, or reject with a reason. Each statement is its own
// request, so one that cannot move (changed meanwhile, or submitted by you under the
// four-eyes rule) is reported and the rest still go through.
import { api } from "../api.js";
import { announce, badge, fill, h, labelled, money, table, totals } from "../dom.js";

const STATUSES = ["draft", "submitted", "approved", "paid"];

/** The view; ``?period=&status=`` pick what is listed. */
export function render(view, { query }) {
  load(view, query).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

async function load(view, query) {
  const periods = (await api("/periods")).filter((p) => p.status === "closed");
  if (!periods.length) {
    fill(view, h("h1", {}, "Statements"), h("p", { class: "muted" }, "No period has closed yet: statements are made when one closes."));
    return;
  }
  const chosen = query.get("period") ? { period: periods.find((p) => p.label === query.get("period")), status: query.get("status") } : await waiting(periods);
  const period = chosen.period || periods.at(-1);
  const status = STATUSES.includes(chosen.status) ? chosen.status : "submitted";
  const pick = () => { location.hash = `#/finance?${new URLSearchParams({ period: form.period.value, status: form.status.value })}`; };
  const form = h(
    "form",
    { class: "row", "aria-label": "Period and status" },
    labelled("period", "Period", h("select", { id: "period", name: "period", onchange: pick }, periods.map((p) => h("option", { value: p.label, selected: p === period }, p.label)))),
    labelled("status", "Status", h("select", { id: "status", name: "status", onchange: pick }, STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)))),
  );
  const list = h("div", {});
  fill(view, h("h1", {}, `Statements ${period.label}`), form, list);
  await show(list, period.label, status);
}

/** Where finance has work: the newest period with statements waiting for approval, else
 * the newest with drafts to submit (the list comes newest first), else the last closed. */
async function waiting(periods) {
  for (const status of ["submitted", "draft"]) {
    const [newest] = await api(`/statements?${new URLSearchParams({ status, limit: "1" })}`);
    const period = newest && periods.find((p) => p.label === newest.period);
    if (period) return { period, status };
  }
  return { period: periods.at(-1), status: "submitted" };
}

async function show(list, period, status) {
  const rows = await api(`/statements?${new URLSearchParams({ period, status, limit: "500" })}`);
  if (!rows.length) {
    fill(list, h("p", { class: "muted" }, `No ${status} statements for ${period}.`));
    return;
  }
  const boxes = rows.map((s) => h("input", { type: "checkbox", value: s.id, "aria-label": `Select ${s.participant_name}, ${money(s.total, s.currency)}` }));
  const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all" });
  all.addEventListener("change", () => boxes.forEach((b) => { b.checked = all.checked; }));
  const reason = h("input", { id: "reason", name: "reason", placeholder: "Why (needed to reject)" });
  const outcome = h("div", { "aria-live": "polite" });
  const act = async (action) => {
    const chosen = rows.filter((_, i) => boxes[i].checked);
    if (!chosen.length) return fill(outcome, h("p", { class: "error", role: "alert" }, "Select at least one statement."));
    if (action === "reject" && !reason.value.trim()) {
      reason.setAttribute("aria-invalid", "true");
      reason.focus();
      return fill(outcome, h("p", { class: "error", role: "alert" }, "Say why the statements are rejected."));
    }
    const results = [];
    for (const s of chosen) {
      const body = action === "reject" ? { reason: reason.value.trim() } : { version: s.version };
      try {
        const moved = await api(`/statements/${s.id}/${action}`, { method: "POST", body });
        results.push(h("li", { class: "ok" }, `${s.participant_name}: ${moved.status}`));
      } catch (error) {
        results.push(h("li", { class: "error" }, `${s.participant_name}: ${error.message}`));
      }
    }
    announce(`${action}: ${chosen.length} statement(s) processed`);
    await show(list, period, status);
    list.prepend(h("div", { class: "card", role: "status" }, h("strong", {}, `Result of ${action}`), h("ul", {}, results)));
  };
  const buttons = {
    draft: [["submit", "Submit for approval", ""]],
    submitted: [["approve", "Approve", ""], ["reject", "Reject", "danger"]],
    approved: [],
    paid: [],
  }[status];
  const actions = buttons.length
    ? h("div", { class: "actions card" },
        buttons.some(([a]) => a === "reject") ? labelled("reason", "Reason", reason) : null,
        buttons.map(([action, label, style]) => h("button", { type: "button", class: style, onclick: () => act(action) }, label)))
    : null;
  fill(
    list,
    actions,
    outcome,
    table(
      `${rows.length} ${status} statement(s), ${totals(rows.map((s) => ({ amount: s.total, currency: s.currency })))}`,
      [{ label: "" }, { label: "Participant" }, { label: "Total", num: true }, { label: "Status" }, { label: "Note" }],
      [
        h("tr", {}, h("td", {}, h("label", { class: "check", for: "select-all" }, all, "All")), h("td", { colspan: 4 })),
        ...rows.map((s, i) =>
          h("tr", { "data-statement": s.id },
            h("td", {}, boxes[i]),
            h("td", {}, s.participant_name, h("span", { class: "muted" }, ` ${s.participant}`)),
            h("td", { class: "num money" }, money(s.total, s.currency)),
            h("td", {}, badge(s.status)),
            h("td", {}, s.rejected_reason ?? ""))),
      ],
    ),
  );
}

