// Leaderboards: contest boards, live from the server's event stream, and period boards
// on a commission measure. Names and ranks for everyone; figures as the API allows.
import { api, follow } from "../api.js";
import { applyEvent, Board } from "../board.js";
import { fill, h, labelled, money, number, pct, table, today } from "../dom.js";

/** The period of ``kind`` that holds today, else the latest one before it. */
export function currentPeriod(periods, kind = "quarter") {
  const ofKind = periods.filter((p) => p.kind === kind).sort((a, b) => a.start_date.localeCompare(b.start_date));
  return ofKind.find((p) => p.start_date <= today() && today() <= p.end_date) || ofKind.filter((p) => p.start_date <= today()).at(-1) || ofKind[0];
}

/** The view; ``?contest=key`` picks the contest shown. */
export function render(view, { me, query }) {
  const controller = new AbortController();
  load(view, me, query, controller.signal).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
  return () => controller.abort();
}

async function load(view, me, query, signal) {
  const [contests, periods] = await Promise.all([api("/contests"), api("/periods")]);
  const shown = contests.filter((c) => c.status !== "draft" && c.status !== "cancelled");
  const wanted = shown.find((c) => c.key === query.get("contest")) || shown.find((c) => c.status === "live") || shown[0];
  const contestArea = h("div", {});
  fill(
    view,
    h("h1", {}, "Leaderboards"),
    h("p", {}, h("a", { href: "#/tv" }, "Open the TV view"), h("span", { class: "muted" }, " (full screen, rotates between boards, live)")),
    h("section", { "aria-labelledby": "contests-title" },
      h("h2", { id: "contests-title" }, "Contests"),
      shown.length
        ? h("div", { class: "row" }, labelled("contest", "Contest",
            h("select", { id: "contest", onchange: (e) => { location.hash = `#/boards?contest=${encodeURIComponent(e.target.value)}`; } },
              shown.map((c) => h("option", { value: c.key, selected: c === wanted }, `${c.name} (${c.status})`)))))
        : h("p", { class: "muted" }, "No contests yet."),
      contestArea),
    periodBoard(periods),
  );
  if (wanted) contestBoard(contestArea, wanted, me, signal);
}

function contestBoard(area, contest, me, signal) {
  const board = new Board(`${contest.name} standings`);
  const state = { rows: [] };
  const mine = h("p", { class: "mine" });
  fill(area, h("p", { class: "muted" }, `${contest.window.from} to ${contest.window.to} · ${contest.participants} taking part`), board.el, mine);
  follow(`/contests/${encodeURIComponent(contest.key)}/leaderboard/stream`, (name, data) => {
    applyEvent(state, name, data);
    board.show(state.rows, { unit: state.unit, me: state.me?.subject });
    mine.textContent = state.me ? `Your place: ${state.me.rank} of ${state.subjects}` : "";
  }, signal).catch((error) => area.append(h("p", { class: "error" }, error.message)));
}

function periodBoard(periods) {
  const current = currentPeriod(periods);
  const result = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "row", "aria-label": "Period leaderboard" },
    labelled("pb-measure", "Measure", h("input", { id: "pb-measure", value: "bookings", required: true })),
    labelled("pb-period", "Period", h("select", { id: "pb-period" }, periods.map((p) => h("option", { value: p.label, selected: p === current }, p.label)))),
    labelled("pb-by", "Rank by", h("select", { id: "pb-by" }, h("option", { value: "attainment" }, "attainment"), h("option", { value: "value" }, "value"))),
    h("div", { class: "actions field" }, h("button", { type: "submit" }, "Show")),
  );
  const show = async () => {
    const params = new URLSearchParams({ measure: form["pb-measure"].value, period: form["pb-period"].value, by: form["pb-by"].value, limit: "50" });
    try {
      fill(result, periodTable(await api(`/leaderboards?${params}`)));
    } catch (error) {
      fill(result, h("p", { class: "error", role: "alert" }, error.message));
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); show(); });
  if (current) show();
  return h("section", { "aria-labelledby": "period-title" }, h("h2", { id: "period-title" }, "Period leaderboard"), form, result);
}

/** A period board as a table. */
export function periodTable(board) {
  if (!board.rows.length) return h("p", { class: "muted" }, "Nobody has results for this measure and period yet.");
  const figure = (row) => (row.value === null ? "–" : row.unit === "count" ? number(row.value) : money(row.value, row.unit));
  return table(
    `${board.measure}, ${board.period}, by ${board.by} · ${board.participants} ranked`,
    [{ label: "Rank", num: true }, { label: "Name" }, { label: "Value", num: true }, { label: "Attainment", num: true }],
    board.rows.map((r) =>
      h("tr", { class: board.me && board.me.participant === r.participant ? "me" : "" },
        h("td", { class: "num" }, r.rank), h("td", {}, r.name), h("td", { class: "num money" }, figure(r)),
        h("td", { class: "num" }, r.attainment === null ? "–" : pct(r.attainment)))),
  );
}
