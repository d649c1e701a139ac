// Webhooks, for finance and admin: each subscription with where it sends, which events,
// in which format and how its deliveries stand; pause or resume it, send a test message,
// delete it (once confirmed) or open its delivery log. Anyone else is refused by the API,
// in its words.
import { api } from "../api.js";
import { announce, fill, h, keepingFocus, outcome, refusal } from "../dom.js";
import { eventList, named, ping, standing, state } from "../webhooks.js";

/** The view. */
export function render(view) {
  load(view).catch(refusal(view, "Webhooks"));
}

/** Draw the list; ``notice`` above it, ``said`` ({id, text}) inside that subscription's card. */
async function load(view, { notice = null, said = null } = {}) {
  const hooks = await api("/webhooks");
  // After an action: the list drawn again, the focus where it was.
  const redraw = (shown) => keepingFocus(view, () => load(view, shown)).catch(refusal(view, "Webhooks"));
  fill(
    view,
    h("div", { class: "title-row" },
      h("h1", {}, "Webhooks"),
      hooks.length ? h("a", { class: "button", href: "#/webhooks/new" }, "New subscription") : null),
    notice,
    hooks.length
      ? [
        h("p", { class: "lead" }, `${hooks.length} subscription(s): each is sent the events it wants, signed, and retried while its receiver is down.`),
        hooks.map((hook) => card(hook, said?.id === hook.id ? said.text : null, redraw)),
      ]
      : empty(),
  );
}

/** What webhooks are for, to someone who has none yet. */
function empty() {
  return h("section", { class: "card empty", "aria-labelledby": "empty-title" },
    h("h2", { id: "empty-title" }, "No webhooks yet"),
    h("p", {}, "Webhooks tell your other systems what happens here, as it happens. Tell your payroll system when statements are approved; post disputes to a finance channel in Slack or Teams; cheer a contest's winners in the sales floor's channel; hear at once when a calculation run fails."),
    h("p", {}, "A subscription names a URL and the events it wants. Each message is signed, retried while the receiver is down, and kept in a delivery log from which it can be sent again."),
    h("p", {}, h("a", { class: "button", href: "#/webhooks/new" }, "Create the first subscription")));
}

function card(hook, said, redraw) {
  const title = `hook-${hook.id}`;
  const failed = (error) => fill(message, h("p", { class: "error", role: "alert" }, error.message));
  const act = (work) => async () => {
    try {
      const text = await work();
      announce(text);
      await redraw({ said: { id: hook.id, text } });
    } catch (error) {
      failed(error);
    }
  };
  const toggle = act(async () => {
    await api(`/webhooks/${hook.id}`, { method: "PATCH", body: { active: !hook.active } });
    return hook.active
      ? "Paused: nothing new is sent to it; what it was owed waits until it is resumed."
      : "Resumed: what it was owed is sent now.";
  });
  const remove = async () => {
    try {
      await api(`/webhooks/${hook.id}`, { method: "DELETE" });
      const text = `Deleted “${named(hook)}”: nothing more is sent to ${hook.url}.`;
      announce(text);
      await redraw({ notice: outcome(text) });
    } catch (error) {
      failed(error);
    }
  };
  const button = (label, action, onclick, style = "secondary") =>
    h("button", { type: "button", class: style, "data-action": `${action}-${hook.id}`, onclick }, label);
  const erase = button("Delete", "delete", () => ask(true), "danger");
  const confirm = h("div", { class: "confirm", role: "group", "aria-labelledby": `${title}-ask`, hidden: true },
    h("p", { id: `${title}-ask` },
      `Delete “${named(hook)}”? Nothing more is sent to ${hook.url}`,
      hook.pending ? `, the ${hook.pending} message(s) it is still owed are dropped` : "",
      ", and its delivery log goes with it. This cannot be undone."),
    h("div", { class: "actions" },
      button("Delete for good", "confirm-delete", remove, "danger"),
      button("Keep it", "keep", () => ask(false))));
  const ask = (asking) => {
    confirm.hidden = !asking;
    erase.hidden = asking;
    (asking ? confirm.querySelector("button") : erase).focus();
  };
  confirm.addEventListener("keydown", (event) => { if (event.key === "Escape") ask(false); });
  const message = h("div", { "aria-live": "polite" }, said ? h("p", { class: "ok" }, said) : null);
  return h("section", { class: `card hook${hook.active ? "" : " paused"}`, "data-webhook": hook.id, "aria-labelledby": title },
    h("h2", { id: title }, named(hook), " ", state(hook)),
    hook.description ? h("p", { class: "url" }, h("code", {}, hook.url)) : null,
    standing(hook),
    eventList(hook.events),
    h("div", { class: "actions" },
      h("a", { class: "button secondary", href: `#/webhooks/${hook.id}`, "aria-label": `Delivery log of ${named(hook)}` }, "Delivery log"),
      button(hook.active ? "Pause" : "Resume", "toggle", toggle),
      button("Send a test message", "ping", act(() => ping(hook))),
      erase),
    confirm,
    message);
}
