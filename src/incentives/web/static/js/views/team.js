// The manager's cockpit: the team's attainment for a period as a sortable table with
// totals, a trend per member and pacing-based at-risk flags, the attainment distribution,
// the manager's own overlay in words, and the contests they run.
import { api } from "../api.js";
import { chart } from "../charts.js";
import { date, figure, fill, h, labelled, pct, ratio, sum, table } from "../dom.js";
import { currentPeriod } from "./boards.js";
import { signals } from "./pacing.js";
import { planNames } from "./pay.js";

const BUCKETS = [["Below 50%", 0, 0.5], ["50–75%", 0.5, 0.75], ["75–100%", 0.75, 1], ["100–125%", 1, 1.25], ["125–150%", 1.25, 1.5], ["150% and more", 1.5, Infinity]];

/** The view; ``?team=&period=&sort=`` pick what is shown. */
export function render(view, { me, query }) {
  load(view, me, query).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

async function load(view, me, query) {
  const [teams, periods, names] = await Promise.all([api("/teams"), api("/periods"), planNames()]);
  if (!teams.length) {
    fill(view, h("h1", {}, "Team"), h("p", { class: "muted" }, "Nobody reports to you today."));
    return;
  }
  const team = teams.find((t) => t.id === query.get("team")) || teams[0];
  const quarters = periods.filter((p) => p.kind !== "year");
  const period = quarters.find((p) => p.label === query.get("period")) || currentPeriod(periods);
  const pick = () => {
    location.hash = `#/team?${new URLSearchParams({ team: form.team.value, period: form.period.value })}`;
  };
  const form = h(
    "form",
    { class: "row", "aria-label": "Team and period" },
    labelled("team", "Team", h("select", { id: "team", name: "team", onchange: pick }, teams.map((t) => h("option", { value: t.id, selected: t === team }, `${t.name} (${t.members})`)))),
    labelled("period", "Period", h("select", { id: "period", name: "period", onchange: pick }, quarters.map((p) => h("option", { value: p.label, selected: p === period }, p.label)))),
  );
  const result = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const own = h("div", {});
  const contests = h("div", {});
  fill(
    view,
    h("h1", {}, `Team: ${team.name}`),
    form,
    own,
    h("section", { "aria-labelledby": "members-title" }, h("h2", { id: "members-title" }, `Attainment, ${period.label}`), result),
    h("section", { "aria-labelledby": "contests-title" }, h("h2", { id: "contests-title" }, "Contests"), h("p", {}, h("a", { href: "#/contests/new" }, "Create a contest for the team")), contests),
  );
  if (me.participant) ownOverlay(own, period.label);
  contestList(contests, me);
  try {
    const rows = await api(`/teams/${encodeURIComponent(team.id)}/attainment`);
    const now = rows.filter((r) => r.period === period.label);
    if (!now.length) return fill(result, h("p", { class: "muted" }, "No results for this period yet."));
    const trends = trendsOf(rows, quarters, period);
    const sort = query.get("sort") || "attainment";
    fill(result, membersTable(now, trends, names, sort, { team: team.id, period: period.label }), distribution(now));
  } catch (error) {
    fill(result, h("p", { class: "error", role: "alert" }, error.message));
  }
}

async function ownOverlay(area, period) {
  const paces = await api(`/me/pacing?period=${encodeURIComponent(period)}`).catch(() => []);
  if (!paces.length) return;
  fill(area, h("section", { "aria-labelledby": "own-title" }, h("h2", { id: "own-title" }, "Your overlay"),
    paces.map((p) => h("div", { class: "card pace" }, h("h3", {}, `${p.name} · ${p.plan_name}`), signals(p, null)))));
}

/** Per member and measure, attainment in the last four quarters up to ``period``. */
function trendsOf(rows, quarters, period) {
  const shown = quarters.filter((q) => q.kind === period.kind && q.start_date <= period.start_date).slice(-4).map((q) => q.label);
  const out = new Map();
  for (const r of rows) {
    if (!shown.includes(r.period) || r.attainment === null) continue;
    const key = `${r.participant}|${r.plan}|${r.measure}`;
    out.set(key, [...(out.get(key) || []), [r.period, r.attainment]].sort());
  }
  return out;
}

const SORTS = {
  name: (a, b) => a.participant_name.localeCompare(b.participant_name),
  value: (a, b) => Number(b.value) - Number(a.value),
  attainment: (a, b) => Number(b.attainment ?? -1) - Number(a.attainment ?? -1),
  projected: (a, b) => Number(b.projected_attainment ?? -1) - Number(a.projected_attainment ?? -1),
};

function membersTable(rows, trends, names, sort, where) {
  const sorted = [...rows].sort(SORTS[sort] || SORTS.attainment);
  const head = (label, key, num) => ({
    label: key ? h("a", { href: `#/team?${new URLSearchParams({ ...where, sort: key })}`, "aria-current": sort === key ? "true" : null, class: "sort" }, label) : label,
    num,
  });
  const byMeasure = new Map();
  for (const r of rows) byMeasure.set(`${r.plan}|${r.measure}`, [...(byMeasure.get(`${r.plan}|${r.measure}`) || []), r]);
  const totalRows = [...byMeasure.values()].map((group) => {
    const value = sum(group.map((r) => r.value));
    const quotas = group.filter((r) => r.quota !== null);
    const quota = quotas.length ? sum(quotas.map((r) => r.quota)) : null;
    const first = group[0];
    const share = quota && Number(quota) ? ratio(sum(quotas.map((r) => r.value)), quota, 4) : null;
    return h("tr", { class: "totals", "data-total": first.measure },
      h("th", { scope: "row" }, `Team total (${group.length})`),
      h("td", { "data-label": "Measure" }, `${first.name} (${names.get(first.plan) || first.plan})`),
      h("td", { class: "num", "data-label": "Value" }, figure(value, first.unit)),
      h("td", { class: "num", "data-label": "Quota" }, quota === null ? "–" : figure(quota, first.unit)),
      h("td", { class: "num", "data-label": "Attainment" }, share === null ? "–" : pct(share)),
      h("td", { class: "num", "data-label": "Pace" }, `${group.filter((r) => r.at_risk).length} at risk`),
      h("td", {}),
      h("td", {}));
  });
  const body = sorted.map((r) => {
    const trend = trends.get(`${r.participant}|${r.plan}|${r.measure}`) || [];
    return h(
      "tr",
      { "data-participant": r.participant, class: r.at_risk ? "risk" : "" },
      h("td", {}, h("a", { href: `#/people/${encodeURIComponent(r.participant)}?period=${encodeURIComponent(r.period)}` }, r.participant_name)),
      h("td", {}, `${r.name} (${names.get(r.plan) || r.plan})`),
      h("td", { class: "num" }, figure(r.value, r.unit)),
      h("td", { class: "num" }, r.quota === null ? "–" : figure(r.quota, r.unit)),
      h("td", { class: "num" }, r.attainment === null ? "–" : pct(r.attainment)),
      h("td", { class: "num" }, r.projected_attainment === null ? "–" : pct(r.projected_attainment)),
      h("td", {}, flag(r)),
      h("td", {}, sparkline(trend, r.participant_name)),
    );
  });
  const out = table(
    `${rows.length} member measure(s), sorted by ${sort}`,
    [head("Member", "name"), head("Measure"), head("Value", "value", true), head("Quota", null, true), head("Attainment", "attainment", true), head("Projected", "projected", true), head("Pace"), head("Last quarters")],
    body,
  );
  out.querySelector("tbody").after(h("tfoot", {}, totalRows));
  return out;
}

function flag(row) {
  if (row.attainment === null) return "–";
  if (row.at_risk) return h("span", { class: "team-flag risk" }, "At risk");
  if (Number(row.attainment) >= 1) return h("span", { class: "team-flag ok" }, "Quota reached");
  return Number(row.projected_attainment ?? row.attainment) >= 1 ? h("span", { class: "team-flag ok" }, "On pace") : h("span", { class: "team-flag" }, "Below quota");
}

const SVG = "http://www.w3.org/2000/svg";

/** A small line of attainment by quarter, named with its figures. */
function sparkline(points, who) {
  if (points.length < 2) return points.length ? pct(points[0][1]) : "–";
  const values = points.map(([, a]) => Number(a));
  const top = Math.max(1.5, ...values);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 100 30");
  svg.setAttribute("class", "spark");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${who}: ${points.map(([p, a]) => `${p} ${pct(a)}`).join(", ")}`);
  const at = (v, i) => `${(i * 100) / (values.length - 1)},${30 - (v / top) * 28 - 1}`;
  const quota = document.createElementNS(SVG, "line");
  for (const [k, v] of Object.entries({ x1: 0, x2: 100, y1: 30 - (1 / top) * 28 - 1, y2: 30 - (1 / top) * 28 - 1, class: "spark-quota" })) quota.setAttribute(k, v);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", values.map(at).join(" "));
  line.setAttribute("class", "spark-line");
  svg.append(quota, line);
  return svg;
}

function distribution(rows) {
  const ratios = rows.filter((r) => r.attainment !== null).map((r) => Number(r.attainment));
  if (!ratios.length) return null;
  const counts = BUCKETS.map(([, low, high]) => ratios.filter((a) => a >= low && a < high).length);
  const reached = ratios.filter((a) => a >= 1).length;
  return chart({
    name: "distribution",
    summary: `Attainment distribution: ${BUCKETS.map(([label], i) => `${label}: ${counts[i]}`).join(", ")}; ${reached} of ${ratios.length} at or above quota.`,
    height: 11,
    figures: {
      caption: "Members by attainment",
      heads: [{ label: "Attainment" }, { label: "Members", num: true }],
      rows: BUCKETS.map(([label], i) => h("tr", {}, h("td", {}, label), h("td", { class: "num" }, counts[i]))),
    },
    config: {
      type: "bar",
      data: (c) => ({
        labels: BUCKETS.map(([label]) => label),
        datasets: [{ label: "Members", data: counts, backgroundColor: BUCKETS.map(([, low]) => (low >= 1 ? c.good : low >= 0.75 ? c.brand : c.bad)) }],
      }),
      options: { plugins: { legend: { display: false } }, scales: { x: {}, y: { beginAtZero: true, ticks: { precision: 0 } } } },
    },
  });
}

async function contestList(area, me) {
  const all = await api("/contests").catch(() => []);
  const shown = all.filter((c) => c.status !== "cancelled");
  if (!shown.length) return fill(area, h("p", { class: "muted" }, "No contests yet."));
  fill(area, table(null, [{ label: "Contest" }, { label: "Status" }, { label: "Window" }, { label: "Taking part", num: true }, { label: "Run by" }],
    shown.map((c) => h("tr", { "data-contest": c.key },
      h("td", {}, h("a", { href: `#/boards?contest=${encodeURIComponent(c.key)}` }, c.name)),
      h("td", {}, h("span", { class: `badge ${c.status}` }, c.status)),
      h("td", {}, `${date(c.window.from)} – ${date(c.window.to)}`),
      h("td", { class: "num" }, c.participants),
      h("td", {}, c.created_by === me.name ? "you" : c.created_by)))));
}
