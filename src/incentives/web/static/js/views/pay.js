// My pay (or, for managers and finance, someone's): where the period stands against quota
// with its pacing chart and signals, the period's earnings explained line by line, the
// earnings trend, points and badges, statements and disputes, and, for people with deals
// of their own, an estimator for a deal they might close.
import { api, ApiError } from "../api.js";
import { figure, fill, h, labelled, money, table, today, totals } from "../dom.js";
import { earningsTrend, pacingChart, signals } from "./pacing.js";
import { achievements, disputes, estimator, explain } from "./pay-parts.js";

/** The view; ``params[0]`` is someone else's participant id. */
export function render(view, { me, params, query }) {
  const who = params[0] ? decodeURIComponent(params[0]) : null;
  const base = who ? `/participants/${encodeURIComponent(who)}` : "/me";
  load(view, { me, who, base, wanted: query.get("period") }).catch((error) => refused(view, error, who));
}

function refused(view, error, who) {
  const text = error instanceof ApiError && error.status === 404 && who
    ? `You may not see ${who}'s pay, or there is no such participant.`
    : error.message;
  fill(view, h("h1", {}, "Pay"), h("p", { class: "notice", role: "alert" }, text));
}

/** Plan keys to their names, from the published plans. */
export async function planNames() {
  const plans = await api("/plans");
  return new Map(plans.map((p) => [p.key, p.name]));
}

async function load(view, { me, who, base, wanted }) {
  const [lines, measures, statements, periods, names] = await Promise.all([
    api(`${base}/earnings`),
    api(`${base}/attainment`),
    api(`${base}/statements?limit=50`),
    api("/periods"),
    planNames(),
  ]);
  const labels = [...new Set([...lines, ...measures].map((x) => x.period))].sort();
  const byLabel = new Map(periods.map((p) => [p.label, p]));
  const current = labels.find((l) => byLabel.get(l)?.kind !== "year" && byLabel.get(l)?.start_date <= today() && today() <= byLabel.get(l)?.end_date);
  const period = labels.includes(wanted) ? wanted : current || labels.at(-1);
  const plan = (key) => names.get(key) || key;
  const person = who ? (await api(`${base}/achievements`).catch(() => null)) : null;
  const title = who ? `Pay of ${person?.name || who}` : "My pay";
  const select = h(
    "select",
    { id: "period", onchange: (e) => { location.hash = `${location.hash.split("?")[0]}?period=${e.target.value}`; } },
    labels.map((l) => h("option", { value: l, selected: l === period }, l)),
  );
  const standing = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const ownPay = !who && ["rep", "manager"].includes(me.role);
  fill(
    view,
    h("h1", {}, title),
    labels.length
      ? h("div", { class: "row" }, labelled("period", "Period", select))
      : h("p", { class: "muted" }, "No results yet: pay appears here once deals are credited."),
    h("section", { "aria-labelledby": "standing-title" }, h("h2", { id: "standing-title" }, `Where ${who ? "they stand" : "you stand"}${period ? `, ${period}` : ""}`), standing),
    h("section", { "aria-labelledby": "earnings-title" }, h("h2", { id: "earnings-title" }, `Earnings ${period || ""}`), earnings(lines.filter((l) => l.period === period), base, plan, measures.filter((m) => m.period === period))),
    lines.length ? h("section", { "aria-labelledby": "trend-title" }, h("h2", { id: "trend-title" }, "Earnings by period"), earningsTrend(lines, byLabel)) : null,
    h("section", { "aria-labelledby": "games-title" }, h("h2", { id: "games-title" }, "Points and badges"), achievements(`${base}/achievements`)),
    h("section", { "aria-labelledby": "statements-title" }, h("h2", { id: "statements-title" }, "Statements"), history(statements, plan)),
    !who ? h("section", { "aria-labelledby": "disputes-title" }, h("h2", { id: "disputes-title" }, me.role === "rep" ? "My disputes" : "Disputes you can see"), disputes()) : null,
    ownPay ? estimator() : null,
  );
  if (!period) return fill(standing, h("p", { class: "muted" }, "No measures yet."));
  const paces = await api(`${base}/pacing?period=${encodeURIComponent(period)}`);
  const others = measures.filter((m) => m.period === period && !paces.some((p) => p.plan === m.plan && p.measure === m.measure));
  fill(
    standing,
    paces.map((p) => h("div", { class: "card pace", "data-measure": p.measure, "data-plan": p.plan },
      h("h3", {}, `${p.name} · ${p.plan_name}`),
      signals(p, who),
      pacingChart(p))),
    others.length ? h("div", { class: "grid" }, others.map((m) => h("div", { class: "card measure", "data-measure": m.measure },
      h("strong", {}, `${m.name} (${plan(m.plan)})`), h("span", {}, figure(m.value, m.unit))))) : null,
    !paces.length && !others.length ? h("p", { class: "muted" }, "No measures for this period.") : null,
  );
}

function earnings(lines, base, plan, measures) {
  if (!lines.length) {
    const gated = measures.some((m) => m.attainment !== null);
    return h("p", { class: "muted" }, gated
      ? "No earnings for this period yet: see where you stand above for what is still to reach."
      : "No earnings for this period.");
  }
  return h(
    "div",
    { class: "card" },
    lines.map((line) => {
      const body = h("div", { class: "explain" });
      const details = h(
        "details",
        { class: "line", "data-line": line.id },
        h("summary", {}, h("span", { class: "name" }, `${line.name} · ${plan(line.plan)}`), h("span", { class: "money amount" }, money(line.amount, line.currency))),
        body,
      );
      details.addEventListener("toggle", () => {
        if (details.open && !details.dataset.loaded) {
          details.dataset.loaded = "1";
          fill(body, h("p", { class: "muted" }, "Loading…"));
          explain(body, `${base}/earnings/${encodeURIComponent(line.id)}/explain`);
        }
      });
      return details;
    }),
    h("p", { class: "total" }, h("strong", {}, "Total "), h("span", { class: "money" }, totals(lines))),
  );
}

function history(statements, plan) {
  if (!statements.length) return h("p", { class: "muted" }, "No statements yet.");
  return table(
    null,
    [{ label: "Period" }, { label: "Plan" }, { label: "Lines", num: true }, { label: "Total", num: true }, { label: "Status" }, { label: "Statement" }],
    statements.map((s) =>
      h(
        "tr",
        { "data-statement": s.id ?? "" },
        h("td", {}, s.period),
        h("td", {}, s.plan ? plan(s.plan) : "All plans"),
        h("td", { class: "num" }, s.lines),
        h("td", { class: "num money" }, money(s.total, s.currency)),
        h("td", {}, h("span", { class: `badge ${s.status}` }, s.status)),
        h("td", {}, s.id === null
          ? h("span", { class: "muted" }, "until the period closes")
          : h("a", { href: `#/statements/${s.id}`, "aria-label": `Open the ${s.period} statement` }, "Open")),
      )),
  );
}
