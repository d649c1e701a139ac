// My pay (or, for managers and finance, someone's): attainment against quota, the
// period's earnings by component, each line explained with its deals, statement history
// and, for your own pay, an estimator for a deal you might close.
import { api, ApiError, markFields } from "../api.js";
import { announce, badge, figure, fill, h, labelled, money, percent, percentValue, table, today, totals } from "../dom.js";

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

async function load(view, { me, who, base, wanted }) {
  const [lines, measures, statements, periods] = await Promise.all([
    api(`${base}/earnings`),
    api(`${base}/attainment`),
    api(`${base}/statements?limit=50`),
    api("/periods"),
  ]);
  const labels = [...new Set([...lines, ...measures].map((x) => x.period))].sort();
  const byLabel = new Map(periods.map((p) => [p.label, p]));
  const current = labels.find((l) => byLabel.get(l)?.kind !== "year" && byLabel.get(l)?.start_date <= today() && today() <= byLabel.get(l)?.end_date);
  const period = labels.includes(wanted) ? wanted : current || labels.at(-1);
  const title = who ? `Pay of ${who}` : "My pay";
  const select = h(
    "select",
    { id: "period", onchange: (e) => { location.hash = `${location.hash.split("?")[0]}?period=${e.target.value}`; } },
    labels.map((l) => h("option", { value: l, selected: l === period }, l)),
  );
  fill(
    view,
    h("h1", {}, title),
    labels.length
      ? h("div", { class: "row" }, labelled("period", "Period", select))
      : h("p", { class: "muted" }, "No results yet: pay appears here once deals are credited."),
    h("section", { "aria-labelledby": "attainment-title" }, h("h2", { id: "attainment-title" }, "Attainment"), attainment(measures.filter((m) => m.period === period))),
    h("section", { "aria-labelledby": "earnings-title" }, h("h2", { id: "earnings-title" }, `Earnings ${period || ""}`), earnings(lines.filter((l) => l.period === period), base)),
    h("section", { "aria-labelledby": "statements-title" }, h("h2", { id: "statements-title" }, "Statements"), history(statements)),
    !who && ["rep", "manager"].includes(me.role) ? estimator() : null,
  );
}

function attainment(measures) {
  if (!measures.length) return h("p", { class: "muted" }, "No measures for this period.");
  return h(
    "div",
    { class: "grid" },
    measures.map((m) => {
      const value = figure(m.value, m.unit);
      const of = m.quota ? ` of ${figure(m.quota, m.unit)}` : "";
      const label = `${m.name} (${m.plan})`;
      return h(
        "div",
        { class: "card measure", "data-measure": m.measure },
        h("strong", {}, label),
        h("span", {}, `${value}${of}`),
        m.attainment !== null
          ? [
              h("progress", { max: 100, value: Math.min(percentValue(m.attainment), 100), "aria-label": `${label}: attainment` }),
              h("span", { class: "attainment" }, `${percent(m.attainment, 2)} of quota`),
            ]
          : h("span", { class: "muted" }, "No quota"),
      );
    }),
  );
}

function earnings(lines, base) {
  if (!lines.length) return h("p", { class: "muted" }, "No earnings for this period.");
  return h(
    "div",
    { class: "card" },
    lines.map((line) => {
      const body = h("div", { class: "explain" }, h("p", { class: "muted" }, "Loading…"));
      const details = h(
        "details",
        { class: "line", "data-line": line.id },
        h("summary", {}, h("span", { class: "name" }, `${line.name} · ${line.plan}`), h("span", { class: "money amount" }, money(line.amount, line.currency))),
        body,
      );
      details.addEventListener("toggle", () => {
        if (details.open && !details.dataset.loaded) {
          details.dataset.loaded = "1";
          explain(body, `${base}/earnings/${encodeURIComponent(line.id)}/explain`);
        }
      });
      return details;
    }),
    h("p", { class: "total" }, h("strong", {}, "Total "), h("span", { class: "money" }, totals(lines))),
  );
}

async function explain(body, path) {
  try {
    const found = await api(path);
    fill(
      body,
      h("p", {}, found.text),
      found.deals.length
        ? table(
            "Deals behind this line",
            [{ label: "Deal" }, { label: "Closed" }, { label: "Credit" }, { label: "Share", num: true }, { label: "Credited", num: true }, { label: "Deal amount", num: true }],
            found.deals.map((d) =>
              h(
                "tr",
                {},
                h("td", {}, d.deal),
                h("td", {}, d.close_date),
                h("td", {}, d.via ? `${d.source} via ${d.via}` : d.source),
                h("td", { class: "num" }, percent(d.share, 2)),
                h("td", { class: "num money" }, money(d.credited, found.line.currency)),
                h("td", { class: "num money" }, money(d.deal_amount, d.deal_currency)),
              )),
          )
        : null,
    );
  } catch (error) {
    fill(body, h("p", { class: "error" }, error.message));
  }
}

function history(statements) {
  if (!statements.length) return h("p", { class: "muted" }, "No statements yet.");
  return table(
    null,
    [{ label: "Period" }, { label: "Plan" }, { label: "Lines", num: true }, { label: "Total", num: true }, { label: "Status" }],
    statements.map((s) =>
      h(
        "tr",
        { "data-statement": s.id ?? "" },
        h("td", {}, s.period),
        h("td", {}, s.plan ?? "all plans"),
        h("td", { class: "num" }, s.lines),
        h("td", { class: "num money" }, money(s.total, s.currency)),
        h("td", {}, badge(s.status)),
      )),
  );
}

function estimator() {
  const result = h("div", { "aria-live": "polite" });
  const input = (id, label, attrs) => labelled(id, label, h("input", { id, name: id, ...attrs }));
  const form = h(
    "form",
    { class: "stack card", "aria-labelledby": "estimate-title" },
    h(
      "div",
      { class: "row" },
      input("est-amount", "Deal amount", { inputmode: "decimal", required: true, "data-field": "deals[0].amount", pattern: "\\d+(\\.\\d{1,6})?" }),
      input("est-date", "Close date", { type: "date", required: true, value: today(), "data-field": "deals[0].close_date" }),
      input("est-product", "Product", { "data-field": "deals[0].product" }),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Estimate")),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const deal = { amount: form["est-amount"].value.trim(), close_date: form["est-date"].value };
    if (form["est-product"].value.trim()) deal.product = form["est-product"].value.trim();
    try {
      const found = await api("/me/estimate", { method: "POST", body: { deals: [deal] } });
      markFields(form, { errors: [] });
      fill(
        result,
        !found.periods.length ? h("p", {}, "No plan of yours pays for a deal closed that day.") : table(
          "With this deal",
          [{ label: "Period" }, { label: "Plan" }, { label: "Now", num: true }, { label: "With the deal", num: true }, { label: "Change", num: true }],
          found.periods.map((p) =>
            h(
              "tr",
              {},
              h("td", {}, p.period),
              h("td", {}, p.plan),
              h("td", { class: "num money" }, money(p.current, p.currency)),
              h("td", { class: "num money" }, money(p.with_deals, p.currency)),
              h("td", { class: "num money difference" }, money(p.difference, p.currency)),
            )),
        ),
      );
      announce("Estimate ready");
    } catch (error) {
      const rest = markFields(form, error);
      fill(result, h("p", { class: "error", role: "alert" }, error.message, rest.map((p) => ` ${p.field}: ${p.message}`)));
    }
  });
  return h("section", { "aria-labelledby": "estimate-title" }, h("h2", { id: "estimate-title" }, "Estimate a deal"), form);
}
