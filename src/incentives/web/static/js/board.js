// A leaderboard that keeps its rows across updates, so that a change of rank animates:
// each row slides from where it was to where it now is, and flashes up or down.
import { fill, h, money, number, pct } from "./dom.js";

/** A contest score in its unit: a currency code, or what is counted ("deals", "points"). */
export function score(row, unit) {
  return /^[A-Z]{3}$/.test(unit) ? money(row.score, unit) : `${number(row.score, 2)} ${unit}`;
}


// Avatar colours: eight classes (app.css), each dark enough for white initials.
const AVATAR_COLOURS = 8;

/** Up to two initials of a name: "Ana Costa" → "AC", "REP-3" → "RE". */
export function initials(name) {
  const words = String(name || "?").split(/[\s-]+/).filter((w) => /\p{L}/u.test(w));
  const letters = words.length > 1 ? [words[0][0], words.at(-1)[0]] : [...(words[0] || "?")].slice(0, 2);
  return letters.join("").toUpperCase();
}

/** The same colour class for the same name, on every screen and every day. */
export function avatarClass(name) {
  let hash = 0;
  for (const c of String(name)) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
  return `avatar avatar-${hash % AVATAR_COLOURS}`;
}

/** ``part`` as a whole-number percentage of ``whole`` (decimal strings), computed exactly
 * and rounded half up; 0 when either is nothing or negative. */
export function share(part, whole) {
  const places = (t) => (String(t).split(".")[1] || "").length;
  const scale = Math.max(places(part), places(whole));
  const scaled = (t) => {
    const [i, f = ""] = String(t).split(".");
    return BigInt(i + f.padEnd(scale, "0"));
  };
  const [p, w] = [scaled(part), scaled(whole)];
  if (p <= 0n || w <= 0n) return 0;
  return Number((p * 200n + w) / (2n * w));
}

/** A progress bar (0-100, the text says what it measures), filled through the CSSOM. */
function bar(name, progress) {
  const filled = h("span", { class: "bar-fill" });
  filled.style.width = `${Math.min(100, Math.max(0, progress.value))}%`;
  return h(
    "span",
    { class: "bar-line" },
    h("span", {
      class: "bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
      "aria-valuenow": String(Math.min(100, Math.max(0, Math.round(progress.value)))),
      "aria-valuetext": progress.text, "aria-label": `${name}: ${progress.text}`,
    }, filled),
    h("span", { class: "bar-text" }, progress.shown || progress.text),
  );
}

/** A list element that shows ``rows`` (rank, subject, name, score, …) and animates moves.
 * Options of ``show``: ``avatars`` (initials in a coloured circle), ``progress`` (a
 * function of a row giving {value, text, shown} for a bar under the name, or null: ``text``
 * says what the bar measures, ``shown`` what is written beside it, by default the same);
 * a row's ``text`` replaces its formatted score, and ``detail`` is a line under its name
 * where it has no bar. */
export class Board {
  constructor(label) {
    this.el = h("ol", { class: "board", "aria-label": label });
    this.items = new Map();
  }

  /** Show these rows (in rank order); ``me``: the viewer's subject, highlighted. */
  show(rows, { unit, me = null, avatars = false, progress = null } = {}) {
    const before = new Map([...this.items].map(([subject, li]) => [subject, li.getBoundingClientRect().top]));
    const ranks = new Map([...this.items].map(([subject, li]) => [subject, Number(li.dataset.rank)]));
    const next = new Map();
    for (const row of rows) {
      const li = this.items.get(row.subject) || h("li", {});
      li.dataset.subject = row.subject;
      li.dataset.rank = row.rank;
      li.classList.toggle("me", row.subject === me);
      const movement = row.movement ? (row.movement > 0 ? `▲${row.movement}` : `▼${-row.movement}`) : "";
      fill(
        li,
        h("span", { class: "rank" }, row.rank),
        avatars ? h("span", { class: avatarClass(row.name), "aria-hidden": "true" }, initials(row.name)) : null,
        avatars || progress
          ? h("span", { class: "entrant" },
              h("span", { class: "name" }, row.name),
              progress && progress(row) ? bar(row.name, progress(row)) : row.detail ? h("span", { class: "detail" }, row.detail) : null)
          : h("span", { class: "name" }, row.name),
        h("span", { class: "score num" }, row.text !== undefined ? row.text : row.score === undefined ? "" : score(row, unit)),
        h(
          "span",
          { class: `extra ${row.movement > 0 ? "moved-up" : row.movement < 0 ? "moved-down" : ""}`, "aria-label": movement ? `moved ${row.movement > 0 ? "up" : "down"} ${Math.abs(row.movement)}` : null },
          row.of_target ? `${pct(row.of_target)} ${movement}` : movement,
        ),
      );
      next.set(row.subject, li);
    }
    this.el.replaceChildren(...next.values());
    this.items = next;
    for (const [subject, li] of next) {
      const was = ranks.get(subject);
      const rank = Number(li.dataset.rank);
      if (was !== undefined && was !== rank) {
        li.classList.remove("flash-up", "flash-down");
        void li.offsetWidth; // restart the animation
        li.classList.add(rank < was ? "flash-up" : "flash-down");
      }
      const top = before.get(subject);
      if (top === undefined) continue;
      const delta = top - li.getBoundingClientRect().top;
      if (!delta) continue;
      li.style.transition = "none";
      li.style.transform = `translateY(${delta}px)`;
      requestAnimationFrame(() => {
        li.style.transition = "transform 0.8s ease";
        li.style.transform = "";
      });
    }
  }
}

/** Keep the top of a contest's board current from a stream's events. */
export function applyEvent(state, name, data) {
  if (name === "leaderboard") {
    state.unit = data.unit;
    state.name = data.name;
    state.status = data.status;
    state.rows = data.rows;
    state.me = data.me;
    state.subjects = data.subjects;
    state.rankedOn = data.ranked_on;
    state.changes = [];
  } else if (name === "standings") {
    state.status = data.status;
    state.rows = data.top;
    state.me = data.me;
    // Each moved row with where it stood before and what it gained (when the server
    // sends them: previous_rank, previous_score, gained).
    state.changes = data.changes || [];
  }
  return state;
}
