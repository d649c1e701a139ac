// A new webhook subscription: where to send, what it is for, which events (grouped, with
// "every event") and in which format; the API checks it and its refusals appear beside
// the fields they name. Once made, its signing secret is shown this once, with a copy
// button and how a receiver checks a message with it; a reload shows a new form.
import { api, explain } from "../api.js";
import { announce, fill, h, labelled, refusal } from "../dom.js";
import { EVENT_GROUPS, FORMATS, eventList, named, standing } from "../webhooks.js";

const VERIFY = `from standardwebhooks.webhooks import Webhook

# secret: the whsec_… above; body: the request's raw bytes; headers: its headers
event = Webhook(secret).verify(body, headers)  # raises if forged or stale`;

/** The view. */
export function render(view) {
  load(view).catch(refusal(view, "New webhook subscription"));
}

async function load(view) {
  // Asked first, so that whoever may not subscribe is told so before filling the form in.
  await api("/webhooks");
  const summary = h("div", { role: "alert" });
  const url = h("input", { id: "w-url", name: "url", type: "url", required: true, maxlength: 2000, "data-field": "url", placeholder: "https://hooks.example.com/incentives", autocomplete: "off", spellcheck: "false" });
  const description = h("input", { id: "w-description", name: "description", maxlength: 500, "data-field": "description", placeholder: "Payroll sync, #finance channel…" });
  const { field: events, chosen } = eventChoice();
  const form = h("form", { class: "stack card", novalidate: true, "aria-labelledby": "new-title" },
    summary,
    labelled("w-url", "URL", url),
    h("p", { class: "hint" }, "Where each message is POSTed: an http or https address of your receiver, a Slack incoming webhook or a Teams workflow."),
    labelled("w-description", "Description", description),
    events,
    formatChoice(),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Create subscription"), h("a", { href: "#/webhooks" }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = chosen();
    if (!wanted.length) {
      explain(form, summary, { message: "Choose at least one event.", errors: [{ field: "events", message: "choose at least one" }] });
      return;
    }
    try {
      const made = await api("/webhooks", {
        method: "POST",
        body: { url: url.value.trim(), description: description.value.trim(), events: wanted, format: form.format.value },
      });
      created(view, made);
    } catch (error) {
      explain(form, summary, error);
    }
  });
  fill(view, h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")), h("h1", { id: "new-title" }, "New webhook subscription"), form);
}

/** The events as checkboxes by group, with "every event" over them all; and the ones
 * chosen, in the API's names. */
function eventChoice() {
  const boxes = [];
  const every = h("input", { type: "checkbox", id: "w-every" });
  const groups = EVENT_GROUPS.map(([legend, events]) => h("fieldset", { class: "event-group" },
    h("legend", {}, legend),
    events.map(([name, what]) => {
      const id = `w-${name.replace(/[._]/g, "-")}`;
      const box = h("input", { type: "checkbox", id, name: "events", value: name });
      boxes.push(box);
      return h("div", { class: "check" }, box, h("label", { for: id }, what, " ", h("code", {}, name)));
    })));
  const agree = () => {
    const ticked = boxes.filter((b) => b.checked).length;
    every.checked = ticked === boxes.length;
    every.indeterminate = ticked > 0 && ticked < boxes.length;
  };
  every.addEventListener("change", () => boxes.forEach((b) => { b.checked = every.checked; }));
  boxes.forEach((b) => b.addEventListener("change", agree));
  const field = h("fieldset", { id: "w-events", class: "field events-field", "data-field": "events" },
    h("legend", {}, "Events"),
    h("div", { class: "check every" }, every, h("label", { for: "w-every" }, "Every event")),
    h("div", { class: "event-groups" }, groups));
  return { field, chosen: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

/** The formats as radio buttons, each with what its receiver gets. */
function formatChoice() {
  return h("fieldset", { id: "w-format", class: "field", "data-field": "format" },
    h("legend", {}, "Format"),
    Object.entries(FORMATS).map(([value, [name, gets]]) => {
      const id = `w-format-${value}`;
      return h("div", { class: "choice" },
        h("input", { type: "radio", id, name: "format", value, checked: value === "standard", "aria-describedby": `${id}-gets` }),
        h("label", { for: id }, name),
        h("p", { id: `${id}-gets`, class: "muted" }, gets));
    }));
}

/** The new subscription and its secret, shown this once. */
function created(view, hook) {
  // A text area, so that a phone shows the whole secret, wrapped.
  const secret = h("textarea", { id: "w-secret", class: "secret", readonly: true, rows: 1, spellcheck: "false", autocomplete: "off" });
  secret.value = hook.secret;
  const copied = h("span", { class: "ok", "aria-live": "polite" });
  const copy = async () => {
    const done = await copyText(secret);
    copied.textContent = done ? "Copied." : "Select the secret and copy it with Ctrl+C (⌘C).";
    announce(done ? "Secret copied" : "The browser did not copy it: select it and copy it yourself");
  };
  const chat = hook.format !== "standard";
  fill(
    view,
    h("p", {}, h("a", { href: "#/webhooks" }, "← Webhooks")),
    h("h1", { id: "made-title", tabindex: -1 }, "Subscription created"),
    h("section", { class: "card secret-card", "aria-labelledby": "secret-title" },
      h("h2", { id: "secret-title" }, "The secret that signs its messages"),
      h("p", { class: "warning" }, h("strong", {}, "Copy it now: it will not be shown again."),
        " Keep it where your receiver can read it, and nowhere else. A secret lost or leaked is replaced by deleting this subscription and creating another."),
      labelled("w-secret", "Signing secret", secret),
      h("div", { class: "actions" }, h("button", { type: "button", onclick: copy }, "Copy the secret"), copied),
      h("h3", {}, "Checking that a message comes from here"),
      h("p", {}, "Each message carries the Standard Webhooks headers ", h("code", {}, "webhook-id"), ", ",
        h("code", {}, "webhook-timestamp"), " and ", h("code", {}, "webhook-signature"),
        ". With Python's ", h("code", {}, "standardwebhooks"), " package:"),
      h("pre", { class: "code snippet", tabindex: 0, "aria-label": "Verifying a message in Python" }, h("code", {}, VERIFY)),
      h("p", { class: "muted" }, "A message may arrive more than once (a retry, a replay): keep the webhook-ids you have processed and skip one you have had."),
      chat ? h("p", { class: "muted" }, `${FORMATS[hook.format][0]} posts each message without checking its signature; the secret matters if you point the subscription at a program of your own.`) : null),
    h("section", { class: "card hook made", "aria-labelledby": "made-hook", "data-webhook": hook.id },
      h("h2", { id: "made-hook" }, named(hook)),
      hook.description ? h("p", { class: "url" }, h("code", {}, hook.url)) : null,
      standing(hook),
      eventList(hook.events),
      h("div", { class: "actions" },
        h("a", { class: "button", href: "#/webhooks" }, "Done: back to webhooks"),
        h("a", { class: "button secondary", href: `#/webhooks/${hook.id}` }, "Its delivery log"))),
  );
  view.querySelector("#made-title")?.focus();
  announce("Subscription created: copy its secret now");
}

/** Put a field's text on the clipboard; whether it worked. The clipboard API needs a
 * secure origin (https, or this machine); elsewhere the older command still copies. */
async function copyText(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    field.select();
    return document.execCommand("copy");
  }
}
