// Finance's disputes queue: each query a participant raised on a statement line, with the
// line and the statement it belongs to; answer it, then accept it with an adjustment (paid
// in an open period, the disputed statement never changes) or decline it with a reason.
import { api, markFields } from "../api.js";
import { announce, badge, fill, h, labelled, money, table, when } from "../dom.js";

const SHOWN = ["unresolved", "open", "answered", "accepted", "declined", "all"];

/** The view; ``?status=&period=`` pick what is listed. */
export function render(view, { query }) {
  load(view, query).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

async function listed(status, period) {
  const ask = (s) => api(`/disputes?${new URLSearchParams({ limit: "500", ...(s ? { status: s } : {}), ...(period ? { period } : {}) })}`);
  if (status !== "unresolved") return ask(status === "all" ? null : status);
  const [open, answered] = await Promise.all([ask("open"), ask("answered")]);
  return [...open, ...answered].sort((a, b) => b.opened_at.localeCompare(a.opened_at) || b.id - a.id);
}

async function load(view, query) {
  const status = SHOWN.includes(query.get("status")) ? query.get("status") : "unresolved";
  const period = query.get("period") || "";
  const [rows, periods] = await Promise.all([listed(status, period), api("/periods")]);
  const pick = () => { location.hash = `#/disputes?${new URLSearchParams({ status: form.status.value, ...(form.period.value ? { period: form.period.value } : {}) })}`; };
  const form = h("form", { class: "row", "aria-label": "Which disputes" },
    labelled("status", "Status", h("select", { id: "status", name: "status", onchange: pick }, SHOWN.map((s) => h("option", { value: s, selected: s === status }, s)))),
    labelled("period", "Statement period", h("select", { id: "period", name: "period", onchange: pick },
      h("option", { value: "" }, "every period"),
      periods.filter((p) => p.status === "closed").map((p) => h("option", { value: p.label, selected: p.label === period }, p.label)))));
  const open = periods.filter((p) => p.status === "open").map((p) => p.label);
  const reload = () => load(view, query);
  fill(
    view,
    h("p", {}, h("a", { href: "#/finance" }, "← Finance")),
    h("h1", {}, "Disputes"),
    form,
    rows.length === 0
      ? h("p", { class: "muted" }, `No ${status === "all" ? "" : `${status} `}disputes${period ? ` on ${period} statements` : ""}.`)
      : listing(rows, open, reload),
  );
}

function about(d) {
  return [
    h("h2", {}, h("a", { href: `#/statements/${d.statement}` }, `${d.participant} · ${d.period}`), " ", badge(d.status)),
    h("p", {}, `Line ${d.line_no}: ${d.line_name}, `, h("span", { class: "money" }, money(d.line_amount, d.currency))),
    h("blockquote", {}, d.message),
    h("p", { class: "muted" }, `Raised by ${d.opened_by}, ${when(d.opened_at)}`),
    d.answer ? h("p", {}, h("strong", {}, "Answer: "), d.answer, h("span", { class: "muted" }, ` (${d.answered_by}, ${when(d.answered_at)})`)) : null,
  ];
}

/** Submit ``form`` as ``body()`` to ``path``, then announce ``done(result)`` and reload;
 * on refusal, mark the fields it names. */
function sending(form, path, body, done, reload) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".error").forEach((e) => e.remove());
    try {
      const result = await api(path, { method: "POST", body: body() });
      announce(done(result));
      await reload();
    } catch (error) {
      const rest = markFields(form, error);
      form.append(h("p", { class: "error", role: "alert" }, error.message, rest.map((p) => ` ${p.field}: ${p.message}`)));
    }
  });
  return form;
}

function card(d, open, reload) {
  const id = (name) => `${name}-${d.id}`;
  const answer = h("form", { class: "stack" },
    labelled(id("answer"), d.answer ? "Replace the answer" : "Answer", h("textarea", { id: id("answer"), name: "answer", rows: 2, required: true, "data-field": "answer" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send answer")));
  sending(answer, `/disputes/${d.id}/answer`, () => ({ answer: answer.answer.value.trim() }), () => `Dispute ${d.id} answered`, reload);
  const outcome = h("select", { id: id("outcome"), name: "outcome" }, h("option", { value: "accepted" }, "Accept with an adjustment"), h("option", { value: "declined" }, "Decline"));
  const amount = labelled(id("adjustment"), `Adjustment (${d.currency})`, h("input", { id: id("adjustment"), name: "adjustment", inputmode: "decimal", placeholder: "250.00", "data-field": "adjustment" }));
  const landing = labelled(id("landing"), "Paid in", h("select", { id: id("landing"), name: "landing", "data-field": "period" }, h("option", { value: "" }, "the next open period"), open.map((p) => h("option", { value: p }, p))));
  const resolve = h("form", { class: "stack" },
    labelled(id("outcome"), "Decision", outcome),
    h("div", { class: "row" }, amount, landing),
    labelled(id("reason"), "Reason (needed to decline)", h("textarea", { id: id("reason"), name: "reason", rows: 2, "data-field": "reason" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Resolve")));
  const accepting = () => outcome.value === "accepted";
  outcome.addEventListener("change", () => { resolve.querySelector(".row").hidden = !accepting(); });
  sending(resolve, `/disputes/${d.id}/resolve`, () => {
    const reason = resolve.reason.value.trim();
    if (!accepting()) return { outcome: "declined", reason };
    return { outcome: "accepted", adjustment: resolve.adjustment.value.trim(), ...(resolve.landing.value ? { period: resolve.landing.value } : {}), ...(reason ? { reason } : {}) };
  }, (r) => `Dispute ${d.id} ${r.status}`, reload);
  return h("section", { class: "card dispute-card", "data-dispute": d.id }, about(d),
    h("div", { class: "grid" }, answer, resolve));
}

/** Unresolved disputes as cards to act on, resolved ones in a table. */
function listing(rows, open, reload) {
  const pending = rows.filter((d) => d.status === "open" || d.status === "answered");
  const resolved = rows.filter((d) => !pending.includes(d));
  return [
    pending.length ? h("div", { class: "disputes" }, pending.map((d) => card(d, open, reload))) : null,
    resolved.length ? table(`${resolved.length} resolved dispute(s)`,
      [{ label: "Participant" }, { label: "Line" }, { label: "Query" }, { label: "Status" }, { label: "Outcome" }, { label: "Resolved" }],
      resolved.map((d) => h("tr", { "data-dispute": d.id },
        h("td", {}, h("a", { href: `#/statements/${d.statement}` }, `${d.participant} · ${d.period}`)),
        h("td", {}, `${d.line_no}: ${d.line_name} `, h("span", { class: "money" }, money(d.line_amount, d.currency))),
        h("td", {}, d.message),
        h("td", {}, badge(d.status)),
        h("td", {}, d.adjustment ? [h("span", { class: "money" }, money(d.adjustment.amount, d.adjustment.currency)), ` in ${d.adjustment.period}`, d.resolution_reason ? ` · ${d.resolution_reason}` : ""] : d.resolution_reason || "–"),
        h("td", {}, d.resolved_by ? `${d.resolved_by}, ${when(d.resolved_at)}` : "–")))) : null,
  ];
}
