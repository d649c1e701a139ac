// What the webhook pages share: the events a subscription may want, by group, the
// formats in words, a subscription's headline and its test message.
import { api } from "./api.js";
import { badge, h, when } from "./dom.js";

// Group: [legend, [event, what happened]].
export const EVENT_GROUPS = [
  ["Statements", [
    ["statement.submitted", "Submitted for approval"],
    ["statement.approved", "Approved"],
    ["statement.rejected", "Rejected"],
    ["statement.paid", "Paid"],
  ]],
  ["Disputes", [
    ["dispute.opened", "Opened by a rep"],
    ["dispute.answered", "Answered by finance"],
    ["dispute.resolved", "Resolved: accepted or declined"],
  ]],
  ["Contests and awards", [
    ["contest.started", "A contest started"],
    ["contest.ended", "A contest ended"],
    ["contest.awarded", "A contest's prizes placed"],
    ["award.granted", "Points or a badge granted"],
  ]],
  ["Runs", [
    ["calc_run.failed", "A calculation run failed"],
  ]],
];

// Format: [name, what the receiver gets].
export const FORMATS = {
  standard: ["Standard Webhooks", "JSON with the event's type, when it happened and its data, signed so that your program can check it came from here."],
  slack: ["Slack", "The event in one sentence, which a Slack incoming webhook posts to its channel as it is."],
  teams: ["Microsoft Teams", "The same sentence as an Adaptive Card, which a Teams channel's “Post to a channel when a webhook request is received” workflow posts."],
};

/** A subscription's name: its description, else its URL. */
export const named = (hook) => hook.description || hook.url;

/** "active" or "paused", as a badge. */
export const state = (hook) => badge(hook.active ? "active" : "paused");

/** Queue a test message (``webhook.ping``) to ``hook``; what happened, in words. */
export async function ping(hook) {
  const sent = await api(`/webhooks/${hook.id}/ping`, { method: "POST" });
  return hook.active
    ? `Test message queued as delivery ${sent.id}: it is sent now.`
    : `Test message queued as delivery ${sent.id}: it is sent once the subscription is resumed.`;
}

/** The receiver's last answer, or the error that stopped the attempt. */
export function answered(code, error) {
  if (code !== null && code !== undefined) return `HTTP ${code}`;
  return error || "–";
}

/** The event names a subscription wants, as code, after how many there are. */
export function eventList(events) {
  return h("div", { class: "wants" },
    h("span", { class: "muted" }, `${events.length} event(s):`),
    h("ul", { class: "events" }, events.map((e) => h("li", {}, h("code", {}, e)))));
}

/** How a subscription's deliveries stand, in a line: its format, what is pending and
 * failed, and when the last delivery arrived. */
export function standing(hook) {
  return h("p", { class: "standing" },
    h("span", {}, FORMATS[hook.format][0]), " · ",
    h("span", { "data-count": "pending" }, `${hook.pending} pending`), " · ",
    hook.failed
      ? h("a", { "data-count": "failed", class: "error", href: `#/webhooks/${hook.id}?status=failed` }, `${hook.failed} failed`)
      : h("span", { "data-count": "failed" }, "0 failed"),
    " · ",
    h("span", { "data-count": "last" }, hook.last_delivered_at ? `last delivered ${when(hook.last_delivered_at)}` : "nothing delivered yet"));
}

