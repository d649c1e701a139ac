// Create a contest. The form builds the same definition a contest file holds and the API
// checks it: its messages are shown beside the fields they name, word for word.
import { api, explain, markFields } from "../api.js";
import { announce, fill, h, labelled } from "../dom.js";

const slug = (text) => text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);

function field(id, label, path, control) {
  control.id = id;
  control.name = id;
  if (path) control.dataset.field = path;
  return labelled(id, label, control);
}

const select = (options, value) => h("select", {}, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));

/** The view. */
export function render(view) {
  load(view).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

async function load(view) {
  const teams = await api("/teams");
  const summary = h("div", { role: "alert" });
  const done = h("div", { "aria-live": "polite" });
  const name = h("input", { required: true, maxlength: 200 });
  const key = h("input", { required: true, pattern: "[a-z0-9][a-z0-9-]*", maxlength: 60 });
  name.addEventListener("input", () => { if (!key.dataset.touched) key.value = slug(name.value); });
  key.addEventListener("input", () => { key.dataset.touched = "1"; });
  const basis = select([["score", "the score"], ["percent_of_target", "percent of each one's target"]], "score");
  const target = h("fieldset", { hidden: true }, h("legend", {}, "Target"),
    h("div", { class: "row" },
      field("target-measure", "Measure", "ranking.target.measure", h("input", { value: "bookings" })),
      field("target-period", "Period", "ranking.target.period", h("input", { placeholder: "2026-Q4" }))));
  basis.addEventListener("change", () => { target.hidden = basis.value !== "percent_of_target"; });
  const teamBoxes = teams.map((t) => h("label", { class: "check" }, h("input", { type: "checkbox", value: t.id, name: "teams" }), t.name));
  const form = h(
    "form",
    { class: "stack card", novalidate: true, "aria-labelledby": "contest-title" },
    summary,
    h("div", { class: "row" }, field("c-name", "Name", "name", name), field("c-key", "Key", "key", key)),
    field("c-description", "Description", "description", h("textarea", { rows: 2 })),
    h("div", { class: "row" },
      field("c-from", "First day", "window.from", h("input", { type: "date", required: true })),
      field("c-to", "Last day", "window.to", h("input", { type: "date", required: true }))),
    h("fieldset", {}, h("legend", {}, "Score"),
      h("div", { class: "row" },
        field("c-source", "Counting", "score.source", select([["deals", "won deals"], ["activities", "activities"]], "deals")),
        field("c-aggregate", "As", "score.aggregate", select([["sum", "their total amount"], ["count", "how many"]], "sum")),
        field("c-currency", "Currency", "currency", h("input", { value: "USD", maxlength: 3, pattern: "[A-Z]{3}" })))),
    h("fieldset", { id: "c-teams", class: "field", "data-field": "participants.teams" }, h("legend", {}, "Who takes part (none ticked: everyone you may see)"), teamBoxes.length ? teamBoxes : h("p", { class: "muted" }, "No teams.")),
    h("div", { class: "row" },
      field("c-scope", "Ranking", "scope", select([["individuals", "individuals"], ["teams", "teams"]], "individuals")),
      field("c-basis", "Ranked on", "ranking.basis", basis)),
    target,
    h("fieldset", {}, h("legend", {}, "First prize"),
      h("div", { class: "row" },
        field("p-cash", "Cash", "prizes[0].cash", h("input", { inputmode: "decimal", placeholder: "500" })),
        field("p-points", "Points", "prizes[0].points", h("input", { inputmode: "numeric", placeholder: "100" })),
        field("p-badge", "Badge", "prizes[0].badge", h("input", { placeholder: "sprint-winner" })))),
    field("c-visibility", "Visibility", "visibility", select([["public", "public"], ["test", "test: only you, finance and admin see it"]], "public")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create contest")),
    done,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const definition = build(form, teamBoxes);
    try {
      const created = await api("/contests", { method: "POST", body: definition });
      markFields(form, { errors: [] });
      fill(summary);
      showCreated(done, created);
    } catch (error) {
      explain(form, summary, error);
    }
  });
  fill(view, h("h1", { id: "contest-title" }, "New contest"), form);
}

function build(form, teamBoxes) {
  const value = (id) => form[id].value.trim();
  const definition = {
    kind: "contest",
    key: value("c-key"),
    name: value("c-name"),
    description: value("c-description"),
    window: { from: value("c-from"), to: value("c-to") },
    score: { type: "total", source: value("c-source"), aggregate: value("c-aggregate") },
    scope: value("c-scope"),
    ranking: { basis: value("c-basis") },
    visibility: value("c-visibility"),
  };
  if (value("c-source") === "deals" && value("c-aggregate") === "sum") definition.currency = value("c-currency");
  if (definition.ranking.basis === "percent_of_target") {
    definition.ranking.target = { measure: value("target-measure"), period: value("target-period") };
  }
  const teams = teamBoxes.map((l) => l.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
  if (teams.length) definition.participants = { teams };
  const prize = { rank: 1 };
  if (value("p-cash")) prize.cash = value("p-cash");
  if (value("p-points")) prize.points = /^\d+$/.test(value("p-points")) ? Number(value("p-points")) : value("p-points");
  if (value("p-badge")) prize.badge = value("p-badge");
  if (Object.keys(prize).length > 1) definition.prizes = [prize];
  return definition;
}

function showCreated(done, contest) {
  const schedule = h("button", { type: "button" }, "Schedule it");
  const note = h("p", {}, `Created “${contest.name}” (${contest.key}) as a draft: nobody but managers sees it until it is scheduled.`);
  schedule.addEventListener("click", async () => {
    try {
      const scheduled = await api(`/contests/${encodeURIComponent(contest.key)}/schedule`, { method: "POST" });
      note.textContent = `“${scheduled.name}” is ${scheduled.status}; it goes live on ${scheduled.window.from}.`;
      schedule.remove();
      announce("Contest scheduled");
    } catch (error) {
      note.textContent = error.message;
      note.className = "error";
    }
  });
  fill(done, h("div", { class: "card ok", "data-contest": contest.key }, note, h("div", { class: "actions" }, schedule, h("a", { href: `#/boards?contest=${encodeURIComponent(contest.key)}` }, "See its board"))));
  announce("Contest created");
}
