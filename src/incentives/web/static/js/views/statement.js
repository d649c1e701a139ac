// A statement with its lines, for anyone the API lets read it (a rep their own, managers
// their line's, finance everyone's): print it, download its CSV, and, for the statement's
// own participant, query a line and follow the dispute.
import { api, download, markFields } from "../api.js";
import { announce, badge, date, fill, h, labelled, money, table, when } from "../dom.js";
import { planNames } from "./pay.js";
import { flagged, rejection } from "./payouts.js";
import { trace } from "./trace.js";

const FINANCE = ["finance", "admin"];

/** The view; ``params[0]`` is the statement's id. */
export function render(view, { me, params }) {
  load(view, me, Number(params[0])).catch((error) => fill(view, h("h1", {}, "Statement"), h("p", { class: "notice", role: "alert" }, error.status === 404 ? "There is no such statement, or it is not yours to see." : error.message)));
}

async function load(view, me, id) {
  const [statement, names, change] = await Promise.all([api(`/statements/${id}`), planNames(), api(`/statements/${id}/change`)]);
  const all = await api(`/disputes?${new URLSearchParams({ period: statement.period, limit: "500" })}`);
  const disputes = all.filter((d) => d.statement === id);
  const own = me.participant === statement.participant;
  const outcome = h("div", { "aria-live": "polite" });
  const csv = () => download(`/statements/${id}.csv`, `statement-${id}.csv`).catch((error) => fill(outcome, h("p", { class: "error", role: "alert" }, error.message)));
  fill(
    view,
    h("h1", {}, `Statement ${statement.period}: ${statement.participant_name}`),
    h("p", {}, badge(statement.status), ` ${date(statement.period_start)} – ${date(statement.period_end)} · total `, h("strong", { class: "money total" }, money(statement.total, statement.currency))),
    previous(change),
    h("div", { class: "actions no-print" },
      h("button", { type: "button", onclick: () => window.print() }, "Print"),
      h("button", { type: "button", class: "secondary", onclick: csv }, "Download CSV"),
      FINANCE.includes(me.role) ? workflow(statement, outcome, () => load(view, me, id)) : null),
    outcome,
    table(
      `${statement.lines.length} line(s)`,
      [{ label: "#", num: true }, { label: "Line" }, { label: "Plan" }, { label: "Kind" }, { label: "Amount", num: true }, { label: "Query" }],
      statement.lines.map((line) => h("tr", { "data-line": line.line_no },
        h("td", { class: "num" }, line.line_no),
        h("td", { class: "line-cell" }, h("span", { class: "line-name" }, line.name), trace(line)),
        h("td", {}, line.plan ? names.get(line.plan) || line.plan : "–"),
        h("td", {}, line.kind),
        h("td", { class: "num money" }, money(line.amount, line.currency)),
        h("td", {}, query(id, line, disputes, own, () => load(view, me, id))))),
    ),
    h("p", { class: "total" }, h("strong", {}, "Total "), h("span", { class: "money" }, money(statement.total, statement.currency))),
    h("p", { class: "muted" }, `Made ${when(statement.created_at)}${statement.approved_at ? ` · approved ${when(statement.approved_at)}` : ""}${statement.paid_at ? ` · paid ${when(statement.paid_at)}` : ""}`),
  );
}

/** Finance's next step for the statement: submit a draft, approve or reject a submitted
 * one (with the version read, so a statement changed meanwhile is refused). */
function workflow(statement, outcome, reload) {
  const act = async (action, body) => {
    try {
      const moved = await api(`/statements/${statement.id}/${action}`, { method: "POST", body });
      announce(`Statement ${moved.status}`);
      await reload();
    } catch (error) {
      fill(outcome, h("p", { class: "error", role: "alert" }, error.message));
    }
  };
  if (statement.status === "draft") return h("button", { type: "button", onclick: () => act("submit", { version: statement.version }) }, "Submit for approval");
  if (statement.status !== "submitted") return null;
  const rejecting = rejection(
    (reason) => act("reject", { reason, version: statement.version }),
    () => fill(outcome, h("p", { class: "error", role: "alert" }, "Say why the statement is rejected.")),
  );
  return [
    h("button", { type: "button", onclick: () => act("approve", { version: statement.version }) }, "Approve"),
    rejecting.field,
    h("button", { type: "button", class: "danger", onclick: rejecting.reject }, "Reject"),
  ];
}

/** The same person's statement for the period before, and the change. */
function previous(change) {
  if (change.flag === "first") return h("p", { class: "muted change-line" }, "The first closed period of its kind: nothing to compare with.");
  if (!change.previous_statement) return h("p", { class: "change-line" }, `Nothing was paid for ${change.previous_period}. `, flagged(change));
  return h("p", { class: "change-line" }, "Previous period ",
    h("a", { href: `#/statements/${change.previous_statement}` }, change.previous_period), ": ",
    h("span", { class: "money" }, money(change.previous_total, change.currency)), " · change ", flagged(change));
}

/** A line's disputes and where each stands; for the statement's own participant, a form
 * to query the line when none is open. */
function query(id, line, disputes, own, reload) {
  const mine = disputes.filter((d) => d.line_no === line.line_no);
  const shown = mine.map((d) => h("div", { class: "dispute", "data-dispute": d.id }, badge(d.status), d.answer ? ` ${d.answer}` : ""));
  if (!own || mine.some((d) => d.status === "open" || d.status === "answered")) return shown.length ? shown : "–";
  const field = `q-${line.line_no}`;
  const form = h("form", { class: "stack query" },
    labelled(field, `What is wrong with line ${line.line_no}?`, h("textarea", { id: field, name: "message", rows: 2, required: true, "data-field": "message" })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send query")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/statements/${id}/lines/${line.line_no}/disputes`, { method: "POST", body: { message: form.message.value.trim() } });
      announce(`Query on line ${line.line_no} sent`);
      reload();
    } catch (error) {
      const rest = markFields(form, error);
      form.append(h("p", { class: "error", role: "alert" }, error.message, rest.map((p) => ` ${p.field}: ${p.message}`)));
    }
  });
  return [shown, h("details", { class: "no-print" }, h("summary", {}, "Query this line"), form)];
}
