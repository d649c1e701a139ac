// A measure's pacing in words and as a chart, and earnings across periods as a chart.
// Every figure is the API's (``/me/pacing``, ``/me/earnings``); the charts only draw them.
import { chart } from "../charts.js";
import { date, h, money, number, pct, sum } from "../dom.js";

/** An axis tick: whole units of the currency, no cents. */
const tick = (value, currency) => money(String(Math.round(value)), currency).replace(/\.00$/, "");

/** A measure's figure: money in the plan's currency, a count as a number. */
const amount = (pace, text) => (pace.unit === "money" ? money(text, pace.currency) : number(text));

/** The signals of a pacing view as sentences, most important first. */
export function signals(pace, who) {
  const you = who ? "they" : "you";
  const items = [];
  const open = pace.elapsed < pace.days;
  for (const signal of pace.signals) {
    if (signal === "gate_not_reached") {
      items.push(["bad", `Gate not reached: ${amount(pace, pace.gate.to_go)} to go. Nothing is paid on ${pace.name} below ${pct(pace.gate.attainment)} of quota (${amount(pace, pace.gate.value)}).`]);
    } else if (signal === "capped") {
      items.push(["warn", `Capped: the cap of ${money(pace.cap, pace.currency)} held back ${money(pace.capped_by, pace.currency)}.`]);
    } else if (signal === "next_tier") {
      const rate = pace.next_tier.rate === null ? "" : `, where the rate rises to ${pct(pace.next_tier.rate)}`;
      items.push(["", `Next tier in ${amount(pace, pace.next_tier.to_go)}: at ${amount(pace, pace.next_tier.value)} (${pct(pace.next_tier.attainment)} of quota)${rate}.`]);
    } else if (signal === "quota_reached") {
      items.push(["good", `Quota reached: ${pct(pace.attainment)} of ${amount(pace, pace.quota)}.`]);
    } else if (signal === "at_risk") {
      items.push(["bad", `At risk: at the pace so far ${you} finish at ${amount(pace, pace.projected)}, ${pct(pace.projected_attainment)} of quota.`]);
    }
  }
  if (open && !pace.signals.includes("at_risk")) {
    items.push(["good", `On pace to finish at ${amount(pace, pace.projected)}, ${pct(pace.projected_attainment)} of quota.`]);
  }
  if (pace.gate && pace.gate_reached) {
    items.push(["good", `Gate met: ${pct(pace.gate.attainment)} of quota reached, so ${pace.name} pays.`]);
  }
  return h("ul", { class: "signals" }, items.map(([kind, text]) => h("li", { class: kind }, text)));
}

// Days since the period's first day (0) to its last (days - 1).
function dayOf(pace, iso) {
  return Math.round((Date.parse(iso) - Date.parse(pace.start)) / 86400000);
}

/** The period's pacing chart: the value by close date against quota, the expected-to-date
 * line, the projected finish and the tier thresholds. */
export function pacingChart(pace) {
  const y = (text) => Number(text); // drawing only: every figure shown is the API's text
  const start = { x: 0, y: 0 };
  const steps = [start, ...pace.points.map((p) => ({ x: dayOf(pace, p.date), y: y(p.value) })), { x: Math.max(pace.elapsed - 1, 0), y: y(pace.value) }];
  const last = pace.days - 1;
  const flat = (value) => [{ x: 0, y: y(value) }, { x: last, y: y(value) }];
  const open = pace.elapsed < pace.days;
  const summary = `${pace.name}: ${amount(pace, pace.value)} of a ${amount(pace, pace.quota)} quota (${pct(pace.attainment)}) on day ${pace.elapsed} of ${pace.days}`
    + (pace.expected_to_date === null ? "" : `; expected by now ${amount(pace, pace.expected_to_date)}`)
    + (open ? `; projected finish ${amount(pace, pace.projected)} (${pct(pace.projected_attainment)})` : "")
    + (pace.tiers.length ? `; tiers start at ${pace.tiers.map((t) => amount(pace, t.value)).join(", ")}` : "")
    + (pace.gate ? `; gate at ${amount(pace, pace.gate.value)}` : "")
    + ".";
  return chart({
    name: "pacing",
    summary,
    height: 15,
    figures: {
      caption: `${pace.name} by close date`,
      heads: [{ label: "Date" }, { label: "Value so far", num: true }],
      rows: pace.points.map((p) => h("tr", {}, h("td", {}, date(p.date)), h("td", { class: "num money" }, amount(pace, p.value)))),
    },
    config: {
      type: "line",
      data: (c) => ({
        datasets: [
          { label: pace.name, data: steps, stepped: "after", borderColor: c.brand, backgroundColor: c.brand, borderWidth: 3, pointRadius: 2 },
          { label: "Quota", data: flat(pace.quota), borderColor: c.ink, borderWidth: 2, pointRadius: 0 },
          { label: "Expected to date", data: [start, { x: last, y: y(pace.quota) }], borderColor: c.muted, borderDash: [6, 4], borderWidth: 2, pointRadius: 0 },
          ...(open ? [{ label: "Projected", data: [{ x: pace.elapsed - 1, y: y(pace.value) }, { x: last, y: y(pace.projected) }], borderColor: c.accent, borderDash: [2, 3], borderWidth: 2, pointRadius: 0 }] : []),
          ...pace.tiers.filter((t) => t.attainment !== "1.0000").map((t) => ({ label: `Tier at ${pct(t.attainment)}`, data: flat(t.value), borderColor: c.good, borderDash: [10, 4], borderWidth: 1, pointRadius: 0 })),
          ...(pace.gate ? [{ label: `Gate at ${pct(pace.gate.attainment)}`, data: flat(pace.gate.value), borderColor: c.bad, borderDash: [4, 4], borderWidth: 2, pointRadius: 0 }] : []),
        ],
      }),
      options: {
        parsing: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "linear", min: 0, max: last, ticks: { maxTicksLimit: 7, callback: (v) => date(new Date(Date.parse(pace.start) + v * 86400000).toISOString(), { month: "short", day: "numeric" }) } },
          y: { beginAtZero: true, ticks: { callback: (v) => (pace.unit === "money" ? tick(v, pace.currency) : v) } },
        },
      },
    },
  });
}

/** Total earnings per period (quarters and months), stacked by component. */
export function earningsTrend(lines, periods) {
  const labels = [...new Set(lines.map((l) => l.period))].filter((l) => periods.get(l)?.kind !== "year").sort();
  const names = [...new Set(lines.map((l) => l.name))];
  const currency = lines[0].currency;
  const amountOf = (period, name) => sum(lines.filter((l) => l.period === period && (!name || l.name === name)).map((l) => l.amount));
  const shades = (c) => [c.brand, c.good, c.accent, c.warn, c.bad, c.muted];
  return chart({
    name: "trend",
    summary: `Earnings by period: ${labels.map((l) => `${l} ${money(amountOf(l), currency)}`).join(", ")}.`,
    height: 13,
    figures: {
      caption: "Earnings by period",
      heads: [{ label: "Period" }, ...names.map((n) => ({ label: n, num: true })), { label: "Total", num: true }],
      rows: labels.map((l) => h("tr", {}, h("td", {}, l), names.map((n) => h("td", { class: "num money" }, money(amountOf(l, n), currency))), h("td", { class: "num money" }, money(amountOf(l), currency)))),
    },
    config: {
      type: "bar",
      data: (c) => ({
        labels,
        datasets: names.map((n, i) => ({ label: n, data: labels.map((l) => Number(amountOf(l, n))), backgroundColor: shades(c)[i % 6] })),
      }),
      options: {
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { callback: (v) => tick(v, currency) } },
        },
      },
    },
  });
}
