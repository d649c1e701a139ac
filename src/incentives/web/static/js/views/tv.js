// The TV view: one board at a time on the whole screen, rotating, with no controls.
// Per slide: the top ten with initials and progress bars, and beside them the countdown
// to the end and the prizes. Contest boards move live from the event stream, and the
// deal that moves one is celebrated in a banner; period boards refresh every minute.
// ``#/tv?boards=key1,key2`` picks the contests, ``rotate=20`` the seconds per board,
// ``period=off`` leaves out the period boards. Escape leaves.
import { api, follow } from "../api.js";
import { applyEvent, Board, share } from "../board.js";
import { date, fill, h, money, number, pct, percentValue } from "../dom.js";
import { currentPeriod } from "./boards.js";

const PERIOD_REFRESH_MS = 60000;
const COUNTDOWN_MS = 15000;
const CELEBRATE_MS = 12000;
const TOP = 10;
const MONEY = /^[A-Z]{3}$/;

/** The view. */
export function render(view, { query }) {
  document.body.classList.add("tv");
  const controller = new AbortController();
  const timers = new Set();
  const leave = (event) => { if (event.key === "Escape") location.hash = "#/boards"; };
  document.addEventListener("keydown", leave);
  start(view, query, controller.signal, timers).catch((error) => fill(view, h("p", { class: "tv-empty", role: "alert" }, error.message)));
  return () => {
    controller.abort();
    timers.forEach((t) => { clearInterval(t); clearTimeout(t); });
    document.removeEventListener("keydown", leave);
  };
}

async function start(view, query, signal, timers) {
  const [contests, periods, displayed] = await Promise.all([api("/contests"), api("/periods"), api("/leaderboards/displayed")]);
  const keys = query.get("boards")?.split(",").filter(Boolean);
  const chosen = keys ? contests.filter((c) => keys.includes(c.key)) : contests.filter((c) => c.status === "live");
  const screen = { slides: [], at: 0, timers, rotate: Math.max(3, Number(query.get("rotate")) || 20) * 1000 };
  screen.slides = chosen.map((contest) => contestSlide(contest, signal, screen));
  const period = currentPeriod(periods);
  if (query.get("period") !== "off" && period) {
    for (const board of displayed) screen.slides.push(periodSlide(board, period, timers));
  }
  if (!screen.slides.length) {
    fill(view, h("p", { class: "tv-empty" }, "No live contests right now."));
    return;
  }
  screen.title = h("h1", { class: "tv-title" });
  screen.sub = h("p", { class: "tv-sub" });
  screen.banner = h("div", { class: "tv-banner", role: "status" });
  screen.main = h("div", { class: "tv-board" });
  screen.side = h("aside", { class: "tv-side", "aria-label": "Countdown and prizes" });
  fill(view, h("div", { class: "tv-screen" },
    h("header", { class: "tv-head" }, h("div", {}, screen.title, screen.sub), screen.banner),
    h("div", { class: "tv-body" }, screen.main, screen.side)));
  show(screen, 0);
  const tick = setInterval(() => screen.slides[screen.at].tick(), COUNTDOWN_MS);
  timers.add(tick);
}

/** Show slide ``at`` and, with several, the next one after the rotation's seconds. */
function show(screen, at, hold = screen.rotate) {
  screen.at = at % screen.slides.length;
  const slide = screen.slides[screen.at];
  screen.title.textContent = slide.title();
  screen.sub.textContent = slide.sub();
  screen.main.replaceChildren(slide.board.el);
  screen.side.replaceChildren(...slide.side());
  slide.onChange = () => {
    screen.title.textContent = slide.title();
    screen.sub.textContent = slide.sub();
    screen.side.replaceChildren(...slide.side());
  };
  clearTimeout(screen.next);
  screen.timers.delete(screen.next);
  if (screen.slides.length > 1) {
    screen.next = setTimeout(() => show(screen, screen.at + 1), hold);
    screen.timers.add(screen.next);
  }
}

/** Bring a slide up with a banner for the deal that just moved its board. */
function celebrate(screen, slide, text) {
  // Held on screen while the banner shows, whichever slide was up.
  show(screen, screen.slides.indexOf(slide), Math.max(screen.rotate, CELEBRATE_MS));
  const banner = screen.banner;
  banner.classList.remove("cheer");
  void banner.offsetWidth; // restart the animation for a second deal in a row
  banner.textContent = text;
  banner.classList.add("cheer");
  clearTimeout(screen.cheer);
  screen.cheer = setTimeout(() => { banner.textContent = ""; banner.classList.remove("cheer"); }, CELEBRATE_MS);
  screen.timers.add(screen.cheer);
}

// --- countdown ---------------------------------------------------------------------

/** Time left until the end of ``iso``'s day on this screen's clock, in its time zone. */
export function timeLeft(iso, now = Date.now()) {
  const [y, m, d] = iso.split("-").map(Number);
  const ms = Math.max(0, new Date(y, m - 1, d + 1).getTime() - now);
  const minutes = Math.floor(ms / 60000);
  return { days: Math.floor(minutes / 1440), hours: Math.floor(minutes / 60) % 24, minutes: minutes % 60, over: ms === 0 };
}

function countdown(heading, iso, over) {
  const left = timeLeft(iso);
  const unit = (n, one) => h("span", { class: "cd" }, h("span", { class: "cd-n" }, String(n)), " ", h("span", { class: "cd-u" }, n === 1 ? one : `${one}s`));
  return h("section", { class: "tv-card tv-countdown", "aria-labelledby": "tv-cd-title" },
    h("h2", { id: "tv-cd-title" }, over || left.over ? "Final standings" : heading),
    over || left.over
      ? h("p", { class: "cd-ended" }, `Ended ${date(iso)}`)
      : h("p", { class: "cd-row" }, unit(left.days, "day"), " ", unit(left.hours, "hour"), " ", unit(left.minutes, "minute")),
    over || left.over ? null : h("p", { class: "cd-at" }, `Ends at the close of ${date(iso)}`));
}

// --- contests ----------------------------------------------------------------------

const ordinal = (n) => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th";
  return `${n}${suffix}`;
};

/** What a prize is won for: a rank, a range of ranks, or reaching a value. */
function prizeFor(prize, contest, unit) {
  // Ranks arrive as the definition was written: numbers, or strings from a file.
  if (prize.rank !== undefined && prize.rank !== null) {
    const [from, to] = [Number(prize.rank), Number(prize.to_rank || prize.rank)];
    return to !== from ? `${ordinal(from)} – ${ordinal(to)}` : ordinal(from);
  }
  const level = String(prize.at_least);
  if (level.endsWith("%") || contest.definition.ranking?.basis === "percent_of_target") return `Reaching ${level.replace(/%$/, "")}%`;
  return `Reaching ${MONEY.test(unit) ? money(level, unit) : `${number(level)} ${unit}`}`;
}

function prizes(contest, unit) {
  const list = contest.definition.prizes || [];
  const currency = contest.definition.currency;
  return h("section", { class: "tv-card tv-prizes", "aria-labelledby": "tv-prizes-title" },
    h("h2", { id: "tv-prizes-title" }, "Prizes"),
    list.length
      ? h("ul", {}, list.map((prize) => h("li", {},
          h("span", { class: "prize-for" }, prizeFor(prize, contest, unit)),
          h("span", { class: "prize-what" }, [
            prize.cash !== undefined && prize.cash !== null ? money(String(prize.cash), currency) : null,
            prize.points ? `${number(String(prize.points))} points` : null,
            prize.badge ? `badge: ${prize.badge}` : null,
          ].filter(Boolean).join(" · ")))))
      : h("p", { class: "muted-tv" }, "Bragging rights only."));
}

/** The bar of a contest row: toward its target when the contest has one, else as a share
 * of the leader's score (where both are shown). */
function contestProgress(state) {
  const leader = state.rows[0];
  if (state.rankedOn === "percent_of_target") {
    return (row) => (row.of_target === undefined || row.of_target === null ? null : { value: percentValue(row.of_target), text: `${pct(row.of_target)} of target` });
  }
  // A score the reader may not see (someone else's pay) has no bar.
  const shown = (row) => row.score !== undefined && leader && leader.score !== undefined;
  return (row) => (shown(row) ? { value: share(row.score, leader.score), text: `${share(row.score, leader.score)}% of the leader` } : null);
}

/** "Ana Costa just closed $12,000.00 — up to #2", for the change that moved most. */
export function cheer(changes, unit) {
  const gained = changes.filter((c) => c.gained && !String(c.gained).startsWith("-") && /[1-9]/.test(c.gained));
  if (!gained.length) return null;
  const climb = (c) => (c.previous_rank ? c.previous_rank - c.rank : TOP + 1 - c.rank);
  const best = gained.sort((a, b) => climb(b) - climb(a) || share(b.gained, a.gained) - 100)[0];
  const what = MONEY.test(unit) ? `just closed ${money(best.gained, unit)}` : `just scored +${number(best.gained)} ${unit}`;
  const where = !best.previous_rank ? `in at #${best.rank}` : best.rank < best.previous_rank ? `up to #${best.rank}` : best.rank === 1 ? "holds #1" : `now #${best.rank}`;
  return `${best.name} ${what} — ${where}`;
}

function contestSlide(contest, signal, screen) {
  const slide = {
    board: new Board(`${contest.name} standings`),
    state: { rows: [], name: contest.name, status: contest.status, changes: [] },
    title: () => slide.state.name,
    sub: () => {
      const taking = slide.state.subjects ? ` · ${slide.state.subjects} taking part` : "";
      const leader = slide.state.rows[0];
      // Without the leader's score (someone else's pay) there is no share to draw.
      const bars = slide.state.rankedOn === "percent_of_target"
        ? "bars: progress toward each one's target"
        : !leader || leader.score !== undefined
          ? "bars: score as a share of the leader's"
          : "scores only where you may see pay";
      return `${date(contest.window.from)} – ${date(contest.window.to)}${taking} · ${bars}`;
    },
    side: () => [countdown("Ends in", contest.window.to, slide.state.status !== "live"), prizes(contest, slide.state.unit)],
    tick: () => slide.onChange(),
    onChange: () => {},
  };
  follow(`/contests/${encodeURIComponent(contest.key)}/leaderboard/stream`, (name, data) => {
    applyEvent(slide.state, name, data);
    slide.board.el.style.setProperty("--rows", String(Math.max(1, slide.state.rows.length)));
    slide.board.show(slide.state.rows.slice(0, TOP), { unit: slide.state.unit, avatars: true, progress: contestProgress(slide.state) });
    slide.onChange();
    const text = name === "standings" ? cheer(slide.state.changes, slide.state.unit) : null;
    if (text) celebrate(screen, slide, text);
  }, signal).catch(() => {});
  return slide;
}

// --- period boards -----------------------------------------------------------------

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

function periodSlide({ measure, by }, period, timers) {
  const label = period.label;
  const state = { participants: null };
  const slide = {
    board: new Board(`${capital(measure)} ${label}`),
    title: () => (by === "attainment" ? `${capital(measure)} attainment, ${label}` : `${capital(measure)}, ${label}`),
    sub: () => `Ranked on ${by === "attainment" ? "attainment of quota" : measure}${state.participants ? ` · ${state.participants} ranked` : ""} · bars: ${by === "attainment" ? "attainment toward 100% of quota" : "share of the leader's"}`,
    side: () => [countdown(`${capital(period.kind)} ends in`, period.end_date, false), about()],
    tick: () => slide.onChange(),
    onChange: () => {},
  };
  const about = () => h("section", { class: "tv-card tv-about", "aria-labelledby": "tv-about-title" },
    h("h2", { id: "tv-about-title" }, `The ${period.kind}`),
    h("p", {}, `${label}: ${date(period.start_date)} – ${date(period.end_date)}`),
    state.participants ? h("p", {}, `${state.participants} people ranked`) : null,
    h("p", {}, by === "attainment"
      ? `Each one's ${measure} as a share of their own quota; a full bar is 100%.`
      : `Each one's ${measure}; the bars compare them with the leader's.`));
  const figure = (r) => (r.value === null ? null : r.unit === "count" ? number(r.value) : money(r.value, r.unit));
  const refresh = async () => {
    const found = await api(`/leaderboards?${new URLSearchParams({ measure, period: label, by, limit: String(TOP) })}`);
    state.participants = found.participants;
    const leader = found.rows[0];
    const rows = found.rows.map((r) => ({
      rank: r.rank,
      subject: r.participant,
      name: r.name,
      text: by === "attainment" ? (r.attainment === null ? (r.value === null ? "" : "–") : pct(r.attainment)) : figure(r) || "",
      detail: by === "attainment" && r.value !== null ? `${figure(r)} ${measure}` : null,
      attainment: r.attainment,
      value: r.value,
    }));
    const progress = by === "attainment"
      ? (row) => (row.attainment === null ? null : { value: percentValue(row.attainment), text: `${pct(row.attainment)} of quota`, shown: row.detail || undefined })
      : (row) => (row.value === null || !leader?.value ? null : { value: share(row.value, leader.value), text: `${share(row.value, leader.value)}% of the leader` });
    slide.board.el.style.setProperty("--rows", String(Math.max(1, rows.length)));
    slide.board.show(rows, { avatars: true, progress });
    slide.onChange();
  };
  refresh().catch(() => {});
  timers.add(setInterval(() => refresh().catch(() => {}), PERIOD_REFRESH_MS));
  return slide;
}
