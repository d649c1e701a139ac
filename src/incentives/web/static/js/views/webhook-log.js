// A subscription's delivery log, newest first: each message's event, when it happened,
// where its delivery stands, its attempts and the receiver's last answer, filtered by
// status, older pages on demand (the API's Link header). A delivery opens to the data it
// sends and every attempt; a delivered or failed one can be sent again (a replay).
import { api, page } from "../api.js";
import { announce, badge, fill, h, keepingFocus, labelled, outcome, refusal, table, when } from "../dom.js";
import { FORMATS, answered, eventList, named, ping, standing, state } from "../webhooks.js";

const STATUSES = ["pending", "delivered", "failed"];
const SIZE = 25;
const HEADS = ["Event", "Happened", "Status", "Attempts", "Next attempt", "Last answer", ""];
const TRIES = ["Attempt", "When", "Answer", "Took", "Start of the answer"];

/** The view: ``#/webhooks/{id}?status=failed``. */
export function render(view, { params: [id], query }) {
  const status = STATUSES.includes(query.get("status")) ? query.get("status") : "";
  load(view, Number(id), status).catch(refusal(view, "Delivery log"));
}

async function load(view, id, status, notice = null) {
  const wanted = new URLSearchParams({ limit: String(SIZE), ...(status ? { status } : {}) });
  const [hook, first] = await Promise.all([api(`/webhooks/${id}`), page(`/webhooks/${id}/deliveries?${wanted}`)]);
  const redraw = (card) => keepingFocus(view, () => load(view, id, status, card)).catch(refusal(view, "Delivery log"));
  const pick = h("select", { id: "status", name: "status" },
    h("option", { value: "" }, "every status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === status }, s)));
  pick.addEventListener("change", () => { location.hash = `#/webhooks/${id}${pick.value ? `?status=${pick.value}` : ""}`; });
  const said = h("div", { "aria-live": "polite" });
  const test = async () => {
    try {
      const text = await ping(hook);
      announce(text);
      await redraw(outcome(text));
    } catch (error) {
      fill(said, outcome(error.message, false));
    }
  };
  fill(
    view,
    h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")),
    h("h1", {}, "Delivery log"),
    h("section", { class: "card hook", "aria-labelledby": "hook-title", "data-webhook": hook.id },
      h("h2", { id: "hook-title" }, named(hook), " ", state(hook)),
      hook.description ? h("p", { class: "url" }, h("code", {}, hook.url)) : null,
      standing(hook),
      eventList(hook.events)),
    h("div", { class: "row filters" },
      labelled("status", "Status", pick),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", "data-action": "refresh", onclick: () => redraw(null) }, "Refresh"),
        h("button", { type: "button", class: "secondary", "data-action": "ping", onclick: test }, "Send a test message"))),
    notice,
    said,
    first.total ? listing(first, { hook, status, redraw }) : empty(hook, status),
  );
}

function empty(hook, status) {
  if (status) return h("p", { class: "muted empty-log" }, `No ${status} deliveries.`);
  return h("section", { class: "card empty empty-log", "aria-labelledby": "empty-title" },
    h("h2", { id: "empty-title" }, "Nothing sent yet"),
    h("p", {}, `A delivery appears here each time one of the ${hook.events.length} event(s) this subscription wants happens: when it happened, whether the receiver took it, every attempt and the receiver's answer.`),
    h("p", {}, "To see that the receiver answers, send it a test message: it arrives within seconds."));
}

function listing(first, context) {
  const { status } = context;
  const shown = new Set();
  const caption = `${first.total} ${status ? `${status} ` : ""}deliver${first.total === 1 ? "y" : "ies"}, newest first`;
  const log = table(caption, HEADS.map((label) => ({ label, num: label === "Attempts" })), []);
  const body = log.querySelector("tbody");
  const more = h("div", { class: "actions more" });
  // Each page's rows, and what follows them: a button for the next page, or the end.
  const add = ({ items, next }) => {
    // A delivery made since the first page moves the rest down: one already shown is
    // not shown twice.
    const rows = items.filter((d) => !shown.has(d.id)).map((d) => row(d, context));
    rows.forEach((tr) => shown.add(Number(tr.dataset.delivery)));
    body.append(...rows);
    const older = async () => {
      try {
        const added = add(await page(next));
        // The keyboard goes on from the first of the older ones.
        added[0]?.querySelector("button")?.focus();
      } catch (error) {
        fill(more, outcome(error.message, false));
      }
    };
    fill(more, next
      ? h("button", { type: "button", class: "secondary", onclick: older }, "Older deliveries")
      : first.total > SIZE ? h("p", { class: "muted" }, `${shown.size} deliveries, the oldest reached.`) : null);
    return rows;
  };
  add(first);
  return [log, h("div", { "aria-live": "polite" }, more)];
}

function row(d, context) {
  const cells = [
    // One element per cell: on a phone a cell lays out its label and one value.
    h("span", {}, h("code", {}, d.event), d.replay_of ? h("span", { class: "muted" }, ` replay of delivery ${d.replay_of}`) : null),
    when(d.occurred_at, "medium"),
    badge(d.status),
    String(d.attempts),
    d.status !== "pending" ? "–" : context.hook.active ? when(d.next_attempt_at, "medium") : "once resumed",
    answered(d.last_status_code, d.last_error),
  ];
  const open = h("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-label": `Details of delivery ${d.id}` }, "Details");
  const tr = h("tr", { "data-delivery": d.id },
    cells.map((cell, i) => h("td", { "data-label": HEADS[i], class: i === 3 ? "num" : i === 1 || i === 4 ? "when" : "" }, cell)),
    h("td", {}, open));
  let more = null;
  open.addEventListener("click", async () => {
    tr.classList.toggle("open", !more);
    if (more) {
      more.remove();
      more = null;
      open.setAttribute("aria-expanded", "false");
      open.removeAttribute("aria-controls");
      return;
    }
    more = h("tr", { class: "detail", id: `delivery-${d.id}`, "data-detail": d.id }, h("td", { colspan: HEADS.length }, h("p", { class: "muted" }, "Loading…")));
    tr.after(more);
    open.setAttribute("aria-expanded", "true");
    open.setAttribute("aria-controls", more.id);
    const cell = more.firstChild;
    try {
      fill(cell, detail(await api(`/webhook-deliveries/${d.id}`), context));
    } catch (error) {
      fill(cell, h("p", { class: "error", role: "alert" }, error.message));
    }
  });
  return tr;
}

/** A delivery opened: its message, the data it sends, every attempt, and a replay. */
function detail(d, { hook, status, redraw }) {
  const said = h("div", { "aria-live": "polite" });
  const replay = async () => {
    try {
      const again = await api(`/webhook-deliveries/${d.id}/replay`, { method: "POST" });
      const text = `Delivery ${d.id} replayed as delivery ${again.id}: the same message is sent again ${hook.active ? "now" : "once the subscription is resumed"}.`;
      announce(text);
      await redraw(outcome([text, status && status !== "pending" ? [" ", h("a", { href: `#/webhooks/${hook.id}` }, "Show every status")] : null]));
    } catch (error) {
      const words = error.status === 409
        ? `Delivery ${d.id} is still being tried, so it cannot be replayed yet: replay it once it is delivered or has failed.`
        : error.message;
      fill(said, outcome(words, false));
    }
  };
  const waiting = !hook.active
    ? "Waiting: the subscription is paused, and this is sent once it is resumed."
    : `Still being tried: the next attempt is at ${when(d.next_attempt_at, "medium")}.`;
  return [
    h("p", {}, "Message ", h("code", {}, d.message), " (its ", h("code", {}, "webhook-id"), ", the same on every attempt and replay)",
      d.replay_of ? `, a replay of delivery ${d.replay_of}` : "",
      d.delivered_at ? `; delivered ${when(d.delivered_at, "medium")}` : "", "."),
    h("h3", {}, `Data of ${d.event}`),
    h("pre", { class: "code data" }, JSON.stringify(d.data, null, 2)),
    hook.format === "standard"
      ? null
      : h("p", { class: "muted" }, `A ${FORMATS[hook.format][0]} receiver is sent this as one sentence, not as JSON.`),
    h("h3", {}, "Attempts"),
    d.log.length
      ? table(null, TRIES.map((label) => ({ label, num: label === "Attempt" || label === "Took" })), d.log.map((a) => h("tr", { "data-attempt": a.attempt },
        h("td", { class: "num" }, String(a.attempt)),
        h("td", { class: "when" }, when(a.at, "medium")),
        h("td", { class: a.status_code >= 200 && a.status_code < 300 ? "ok" : "error" }, answered(a.status_code, a.error)),
        h("td", { class: "num" }, `${a.duration_ms} ms`),
        h("td", {}, a.response ? h("code", { class: "answer" }, a.response) : "–"))))
      : h("p", { class: "muted" }, "Not tried yet."),
    d.status === "pending"
      ? h("p", { class: "muted" }, waiting, " It can be replayed once it is delivered or has failed.")
      : h("div", { class: "actions" },
        h("button", { type: "button", "data-action": `replay-${d.id}`, onclick: replay }, "Replay"),
        h("span", { class: "muted" }, "Sends the same message again now, as a new delivery.")),
    said,
  ];
}
