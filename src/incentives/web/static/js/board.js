// A leaderboard that keeps its rows across updates, so that a change of rank animates:
// each row slides from where it was to where it now is, and flashes up or down.
import { fill, h, money, number } from "./dom.js";

/** A contest score in its unit: a currency code, or what is counted ("deals", "points"). */
export function score(row, unit) {
  return /^[A-Z]{3}$/.test(unit) ? money(row.score, unit) : `${number(row.score, 2)} ${unit}`;
}

/** A percentage the API already gives in percent ("85.50"). */
export const percentText = (text) => `${number(text, 2)}%`;

/** A list element that shows ``rows`` (rank, subject, name, score, …) and animates moves. */
export class Board {
  constructor(label) {
    this.el = h("ol", { class: "board", "aria-label": label });
    this.items = new Map();
  }

  /** Show these rows (in rank order); ``me``: the viewer's subject, highlighted. */
  show(rows, { unit, me = null } = {}) {
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
        h("span", { class: "name" }, row.name),
        h("span", { class: "score num" }, row.score === undefined ? "" : score(row, unit)),
        h(
          "span",
          { class: `extra ${row.movement > 0 ? "moved-up" : row.movement < 0 ? "moved-down" : ""}`, "aria-label": movement ? `moved ${row.movement > 0 ? "up" : "down"} ${Math.abs(row.movement)}` : null },
          row.percent ? `${percentText(row.percent)} ${movement}` : movement,
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
  } else if (name === "standings") {
    state.status = data.status;
    state.rows = data.top;
    state.me = data.me;
  }
  return state;
}
