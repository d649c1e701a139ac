// The TV view: one board at a time in large type, rotating, with no controls; contest
// boards move live from the event stream, period boards refresh every minute.
// ``#/tv?boards=key1,key2`` picks the contests, ``rotate=20`` the seconds per board,
// ``period=off`` leaves out the period board. Escape leaves.
import { api, follow } from "../api.js";
import { applyEvent, Board } from "../board.js";
import { fill, h } from "../dom.js";
import { currentPeriod } from "./boards.js";

const PERIOD_REFRESH_MS = 60000;

/** The view. */
export function render(view, { query }) {
  document.body.classList.add("tv");
  const controller = new AbortController();
  const timers = [];
  const leave = (event) => { if (event.key === "Escape") location.hash = "#/boards"; };
  document.addEventListener("keydown", leave);
  start(view, query, controller.signal, timers).catch((error) => fill(view, h("p", { class: "tv-empty", role: "alert" }, error.message)));
  return () => {
    controller.abort();
    timers.forEach(clearInterval);
    document.removeEventListener("keydown", leave);
  };
}

async function start(view, query, signal, timers) {
  const [contests, periods] = await Promise.all([api("/contests"), api("/periods")]);
  const keys = query.get("boards")?.split(",").filter(Boolean);
  const chosen = keys ? contests.filter((c) => keys.includes(c.key)) : contests.filter((c) => c.status === "live");
  const slides = chosen.map((contest) => contestSlide(contest, signal));
  const period = currentPeriod(periods);
  if (query.get("period") !== "off" && period) slides.push(periodSlide(period.label, timers));
  if (!slides.length) {
    fill(view, h("p", { class: "tv-empty" }, "No live contests right now."));
    return;
  }
  const title = h("h1", { class: "tv-title" });
  const sub = h("p", { class: "tv-sub" });
  const holder = h("div", { "aria-live": "polite" });
  fill(view, title, sub, holder);
  let at = 0;
  const showSlide = () => {
    const slide = slides[at % slides.length];
    title.textContent = slide.title();
    sub.textContent = slide.sub();
    holder.replaceChildren(slide.board.el);
    slide.onChange = () => { title.textContent = slide.title(); sub.textContent = slide.sub(); };
  };
  showSlide();
  const seconds = Math.max(3, Number(query.get("rotate")) || 20);
  if (slides.length > 1) timers.push(setInterval(() => { at += 1; showSlide(); }, seconds * 1000));
}

function contestSlide(contest, signal) {
  const slide = {
    board: new Board(`${contest.name} standings`),
    state: { rows: [], name: contest.name, status: contest.status },
    title: () => slide.state.name,
    sub: () => `${contest.window.from} – ${contest.window.to} · ${slide.state.status}${slide.state.subjects ? ` · ${slide.state.subjects} taking part` : ""}`,
    onChange: () => {},
  };
  follow(`/contests/${encodeURIComponent(contest.key)}/leaderboard/stream`, (name, data) => {
    applyEvent(slide.state, name, data);
    slide.board.show(slide.state.rows, { unit: slide.state.unit });
    slide.onChange();
  }, signal).catch(() => {});
  return slide;
}

function periodSlide(label, timers) {
  const slide = {
    board: new Board(`Bookings ${label}`),
    title: () => `Bookings attainment, ${label}`,
    sub: () => "Ranked on attainment of quota",
    onChange: () => {},
  };
  const refresh = async () => {
    const found = await api(`/leaderboards?${new URLSearchParams({ measure: "bookings", period: label, by: "attainment", limit: "10" })}`);
    slide.board.show(found.rows.map((r) => ({
      rank: r.rank,
      subject: r.participant,
      name: r.name,
      score: r.attainment === null ? undefined : r.attainment,
      percent: null,
    })), { unit: "%" });
  };
  refresh().catch(() => {});
  timers.push(setInterval(() => refresh().catch(() => {}), PERIOD_REFRESH_MS));
  return slide;
}
