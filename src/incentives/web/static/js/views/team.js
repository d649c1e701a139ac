// The manager's view: every team member's attainment for a period, each name leading to
// that member's pay.
import { api } from "../api.js";
import { figure, fill, h, percent, percentValue, table, labelled } from "../dom.js";
import { currentPeriod } from "./boards.js";

/** The view; ``?team=&period=`` pick what is shown. */
export function render(view, { query }) {
  load(view, query).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

async function load(view, query) {
  const [teams, periods] = await Promise.all([api("/teams"), api("/periods")]);
  if (!teams.length) {
    fill(view, h("h1", {}, "Team"), h("p", { class: "muted" }, "Nobody reports to you today."));
    return;
  }
  const team = teams.find((t) => t.id === query.get("team")) || teams[0];
  const period = periods.find((p) => p.label === query.get("period")) || currentPeriod(periods);
  const pick = () => {
    location.hash = `#/team?${new URLSearchParams({ team: form.team.value, period: form.period.value })}`;
  };
  const form = h(
    "form",
    { class: "row", "aria-label": "Team and period" },
    labelled("team", "Team", h("select", { id: "team", name: "team", onchange: pick }, teams.map((t) => h("option", { value: t.id, selected: t === team }, `${t.name} (${t.members})`)))),
    labelled("period", "Period", h("select", { id: "period", name: "period", onchange: pick }, periods.map((p) => h("option", { value: p.label, selected: p === period }, p.label)))),
  );
  const result = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  fill(view, h("h1", {}, `Team: ${team.name}`), form, h("p", {}, h("a", { href: "#/contests/new" }, "Create a contest for the team")), result);
  try {
    const rows = await api(`/teams/${encodeURIComponent(team.id)}/attainment?period=${encodeURIComponent(period.label)}`);
    fill(result, rows.length ? attainmentTable(rows, period.label) : h("p", { class: "muted" }, "No results for this period yet."));
  } catch (error) {
    fill(result, h("p", { class: "error", role: "alert" }, error.message));
  }
}

function attainmentTable(rows, period) {
  return table(
    `Attainment, ${period}`,
    [{ label: "Member" }, { label: "Measure" }, { label: "Value", num: true }, { label: "Quota", num: true }, { label: "Attainment" }],
    rows.map((r) =>
      h(
        "tr",
        { "data-participant": r.participant },
        h("td", {}, h("a", { href: `#/people/${encodeURIComponent(r.participant)}?period=${encodeURIComponent(r.period)}` }, r.participant_name)),
        h("td", {}, `${r.name} (${r.plan})`),
        h("td", { class: "num" }, figure(r.value, r.unit)),
        h("td", { class: "num" }, r.quota === null ? "–" : figure(r.quota, r.unit)),
        h("td", {}, r.attainment === null
          ? "–"
          : h("div", { class: "measure" },
              h("progress", { max: 100, value: Math.min(percentValue(r.attainment), 100), "aria-label": `${r.participant_name}: ${r.name} attainment` }),
              h("span", {}, percent(r.attainment, 2)))),
      )),
  );
}
