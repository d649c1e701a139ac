// Finance's landing: what waits for action across every closed period (drafts to submit,
// submitted to approve, approved not yet exported, exported not yet paid, and disputes),
// each with its count and total, linking to the list where the work is done.
import { api } from "../api.js";
import { fill, h, totals, when } from "../dom.js";

// Stage: [heading, the statement status its list shows, what to do there].
const STAGES = {
  to_submit: ["Drafts to submit", "draft", "Check and submit for approval"],
  to_approve: ["Submitted, to approve", "submitted", "Approve or reject"],
  to_export: ["Approved, not exported", "approved", "Download the payroll file"],
  to_pay: ["Exported, not paid", "approved", "Mark paid once payroll has run"],
};

/** The view. */
export function render(view) {
  load(view).catch((error) => fill(view, h("h1", {}, "Finance"), h("p", { class: "error", role: "alert" }, error.message)));
}

function amounts(byCurrency) {
  return totals(Object.entries(byCurrency).map(([currency, amount]) => ({ amount, currency })));
}

async function load(view) {
  const [queue, recent] = await Promise.all([api("/payouts/queue"), api("/audit?entity=statement&limit=8")]);
  const waiting = queue.stages.reduce((n, s) => n + s.statements, 0);
  const disputes = queue.disputes.open + queue.disputes.answered;
  fill(
    view,
    h("h1", {}, "Finance"),
    h("p", { class: "lead" }, waiting || disputes
      ? `${waiting} statement(s) and ${disputes} dispute(s) wait for action.`
      : "Nothing waits for action: every statement of every closed period is paid."),
    h("div", { class: "grid queue" }, queue.stages.map(stageCard), disputeCard(queue.disputes)),
    h("h2", {}, "Recent statement activity"),
    recent.entries.length
      ? h("ul", { class: "activity" }, recent.entries.map((e) => h("li", {}, h("span", { class: "muted" }, when(e.at)), ` ${e.actor} · ${e.action} `, h("a", { href: `#/statements/${e.entity_key}` }, `statement ${e.entity_key}`))))
      : h("p", { class: "muted" }, "Nothing recorded yet."),
    h("p", {}, h("a", { href: "#/audit?entity=statement" }, "Open the audit trail")),
  );
}

function stageCard(stage) {
  const [heading, status, todo] = STAGES[stage.stage];
  const link = (period) => `#/payouts?${new URLSearchParams({ period, status })}`;
  return h("section", { class: `card stage${stage.statements ? " busy" : ""}`, "data-stage": stage.stage, "aria-labelledby": `h-${stage.stage}` },
    h("h2", { id: `h-${stage.stage}` }, heading),
    h("p", { class: "count" }, h("strong", {}, stage.statements), ` statement(s) · `, h("span", { class: "money" }, stage.statements ? amounts(stage.totals) : "nothing")),
    stage.periods.length
      ? [h("p", { class: "muted" }, todo), h("ul", {}, stage.periods.map((p) => h("li", {}, h("a", { href: link(p.period) }, p.period), `: ${p.statements} · `, h("span", { class: "money" }, amounts(p.totals)))))]
      : h("p", { class: "muted" }, "Nothing waiting."));
}

function disputeCard(disputes) {
  const total = disputes.open + disputes.answered;
  return h("section", { class: `card stage${total ? " busy" : ""}`, "data-stage": "disputes", "aria-labelledby": "h-disputes" },
    h("h2", { id: "h-disputes" }, "Disputes"),
    h("p", { class: "count" }, h("strong", {}, disputes.open), " open (to answer) · ", h("strong", {}, disputes.answered), " answered (to resolve)"),
    total
      ? h("ul", {}, Object.entries(disputes.periods).map(([period, n]) => h("li", {}, h("a", { href: `#/disputes?${new URLSearchParams({ period })}` }, period), `: ${n}`)))
      : h("p", { class: "muted" }, "Nothing waiting."),
    h("p", {}, h("a", { href: "#/disputes" }, "Open the disputes queue")));
}
