// Finance: a period's statements by status, each beside the person's previous period with
// outliers flagged, chosen one by one or all at once and moved along: submit, approve,
// reject with a reason, export to payroll, mark paid. Each workflow step is its own
// request per statement, so one that cannot move (changed meanwhile, or submitted by you
// under the four-eyes rule) is reported and the rest still go through.
import { api, download } from "../api.js";
import { announce, badge, date, fill, h, labelled, money, pct, table, totals } from "../dom.js";

const STATUSES = ["draft", "submitted", "approved", "paid"];
// Flag: [words, class]; a steady change needs no word.
const FLAGS = {
  new: ["New this period", "warn"],
  jump: ["Outlier: up", "bad"],
  drop: ["Outlier: down", "bad"],
  first: ["First period", ""],
  steady: ["", ""],
};
// The flags a second look is asked for.
const NOTABLE = new Set(["new", "jump", "drop"]);

/** The view; ``?period=&status=`` pick what is listed. */
export function render(view, { query }) {
  load(view, query).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

async function load(view, query) {
  const periods = (await api("/periods")).filter((p) => p.status === "closed");
  if (!periods.length) {
    fill(view, h("h1", {}, "Payouts"), h("p", { class: "muted" }, "No period has closed yet: statements are made when one closes."));
    return;
  }
  const period = periods.find((p) => p.label === query.get("period")) || periods.at(-1);
  const status = STATUSES.includes(query.get("status")) ? query.get("status") : "submitted";
  const pick = () => { location.hash = `#/payouts?${new URLSearchParams({ period: form.period.value, status: form.status.value })}`; };
  const form = h(
    "form",
    { class: "row", "aria-label": "Period and status" },
    labelled("period", "Period", h("select", { id: "period", name: "period", onchange: pick }, periods.map((p) => h("option", { value: p.label, selected: p === period }, p.label)))),
    labelled("status", "Status", h("select", { id: "status", name: "status", onchange: pick }, STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)))),
  );
  const list = h("div", {});
  fill(view, h("p", {}, h("a", { href: "#/finance" }, "← Finance")), h("h1", {}, `Payouts ${period.label}`), form, list);
  await show(list, period.label, status);
}

/** A change against the previous period in words: "+$1,200.00 (+60%) Outlier: up". */
export function flagged(change) {
  if (!change) return "";
  const [words, style] = FLAGS[change.flag];
  const sign = (text) => (text.startsWith("-") ? "" : "+");
  const delta = change.change === null ? null : `${sign(change.change)}${money(change.change, change.currency)}${change.change_fraction === null ? "" : ` (${sign(change.change_fraction)}${pct(change.change_fraction)})`}`;
  return h("span", { class: "change" },
    delta ? h("span", { class: "money" }, delta) : null,
    words ? h("span", { class: `flag ${style}`, "data-flag": change.flag }, delta ? ` ${words}` : words) : null);
}

async function show(list, period, status, notice = null) {
  const [rows, changes] = await Promise.all([
    api(`/statements?${new URLSearchParams({ period, status, limit: "500" })}`),
    api(`/payouts/changes?${new URLSearchParams({ period })}`),
  ]);
  const change = new Map(changes.map((c) => [c.statement, c]));
  if (!rows.length) {
    fill(list, notice, h("p", { class: "muted" }, `No ${status} statements for ${period}.`));
    return;
  }
  const reload = (card) => show(list, period, status, card);
  const boxes = rows.map((s) => h("input", { type: "checkbox", value: s.id, "aria-label": `Select ${s.participant_name}, ${money(s.total, s.currency)}` }));
  const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select all" });
  all.addEventListener("change", () => boxes.forEach((b) => { b.checked = all.checked; }));
  const chosen = () => rows.filter((_, i) => boxes[i].checked);
  const outcome = h("div", { "aria-live": "polite" });
  const fail = (text) => fill(outcome, h("p", { class: "error", role: "alert" }, text));
  const only = h("input", { type: "checkbox", id: "only-outliers" });
  only.addEventListener("change", () => {
    for (const tr of list.querySelectorAll("tr[data-statement]")) tr.hidden = only.checked && !tr.classList.contains("risk");
  });
  const outliers = rows.filter((s) => NOTABLE.has(change.get(s.id)?.flag)).length;
  fill(
    list,
    notice,
    actions(status, { period, chosen, fail, reload, outcome }),
    outcome,
    outliers ? h("p", { class: "signals-line" }, h("strong", {}, `${outliers} to look at: `), "new this period, or up or down by half and at least 500 against the previous period. ", h("label", { class: "check inline" }, only, "Show only these")) : null,
    table(
      `${rows.length} ${status} statement(s), ${totals(rows.map((s) => ({ amount: s.total, currency: s.currency })))}`,
      [{ label: "" }, { label: "Participant" }, { label: "Total", num: true }, { label: "Previous", num: true }, { label: "Change" }, { label: "Status" }, { label: "Note" }],
      [
        h("tr", {}, h("td", {}, h("label", { class: "check", for: "select-all" }, all, "All")), h("td", { colspan: 6 })),
        ...rows.map((s, i) => {
          const c = change.get(s.id);
          return h("tr", { "data-statement": s.id, class: NOTABLE.has(c?.flag) ? "risk" : "" },
            h("td", {}, boxes[i]),
            h("td", {}, h("a", { href: `#/statements/${s.id}` }, s.participant_name), h("span", { class: "muted" }, ` ${s.participant}`)),
            h("td", { class: "num money" }, money(s.total, s.currency)),
            h("td", { class: "num money" }, c?.previous_total ? money(c.previous_total, s.currency) : "–"),
            h("td", {}, flagged(c)),
            h("td", {}, badge(s.status), s.exported_at ? h("span", { class: "muted" }, ` exported ${date(s.exported_at)}`) : null),
            h("td", {}, s.rejected_reason ?? ""));
        }),
      ],
    ),
  );
}

/** A rejection's reason field, and what rejecting does: ``send(reason)`` with the reason
 * given, or without one the field marked, focused, and ``refuse()`` told. */
export function rejection(send, refuse) {
  const reason = h("input", { id: "reason", name: "reason", placeholder: "Why (needed to reject)" });
  const reject = () => {
    const text = reason.value.trim();
    if (text) return send(text);
    reason.setAttribute("aria-invalid", "true");
    reason.focus();
    return refuse();
  };
  return { field: labelled("reason", "Reason", reason), reject };
}

/** The buttons for the listed status, each acting on the chosen statements (or, for the
 * payroll file, on the period). */
function actions(status, { period, chosen, fail, reload, outcome }) {
  const each = async (action, body) => {
    const picked = chosen();
    if (!picked.length) return fail("Select at least one statement.");
    const results = [];
    for (const s of picked) {
      try {
        const moved = await api(`/statements/${s.id}/${action}`, { method: "POST", body: body(s) });
        results.push(h("li", { class: "ok" }, `${s.participant_name}: ${moved.status}`));
      } catch (error) {
        results.push(h("li", { class: "error" }, `${s.participant_name}: ${error.message}`));
      }
    }
    announce(`${action}: ${picked.length} statement(s) processed`);
    await reload(h("div", { class: "card", role: "status" }, h("strong", {}, `Result of ${action}`), h("ul", {}, results)));
  };
  const rejecting = rejection((reason) => each("reject", () => ({ reason })), () => fail("Say why the statements are rejected."));
  // The period's payroll file of the approved (the export payroll runs on) or paid ones.
  const file = (status) => download(`/payouts/export?${new URLSearchParams({ period, status })}`, `payouts-${period}-${status}.csv`, "POST");
  const exportFile = async () => {
    try {
      await file("approved");
      announce("Payroll file downloaded");
      await reload(h("div", { class: "card", role: "status" }, h("strong", {}, "Payroll file downloaded. "), "Mark the statements paid once payroll has run."));
    } catch (error) {
      fail(error.message);
    }
  };
  const markPaid = async (body) => {
    try {
      const paid = await api("/payouts/mark-paid", { method: "POST", body });
      const sums = Object.entries(paid.amounts).map(([currency, amount]) => money(amount, currency)).join(" + ");
      const words = [`${paid.paid.length} marked paid${sums ? ` (${sums})` : ""}`];
      if (paid.already_paid.length) words.push(`${paid.already_paid.length} already paid`);
      if (paid.not_exported.length) words.push(`${paid.not_exported.length} not exported yet, left approved`);
      announce(words[0]);
      await reload(h("div", { class: "card", role: "status" }, h("strong", {}, "Mark paid: "), words.join(" · ")));
    } catch (error) {
      fail(error.message);
    }
  };
  const button = (label, onclick, style = "") => h("button", { type: "button", class: style, onclick }, label);
  const parts = {
    draft: [button("Submit selected for approval", () => each("submit", (s) => ({ version: s.version })))],
    submitted: [
      button("Approve selected", () => each("approve", (s) => ({ version: s.version }))),
      rejecting.field,
      button("Reject selected", rejecting.reject, "danger"),
    ],
    approved: [
      button("Download payroll CSV", exportFile),
      button("Mark selected paid", () => {
        const picked = chosen();
        return picked.length ? markPaid({ statements: picked.map((s) => s.id) }) : fail("Select at least one statement.");
      }, "secondary"),
      button("Mark every exported one paid", () => markPaid({ period }), "secondary"),
    ],
    paid: [button("Download paid CSV", () => file("paid").catch((error) => fail(error.message)), "secondary")],
  }[status];
  outcome.replaceChildren();
  return h("div", { class: "actions card" }, parts);
}
