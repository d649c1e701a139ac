// The API is the single source of truth: every figure on the page comes from it, with
// the token the user signed in with, kept for this browser tab's session only.

import { fill, h } from "./dom.js";

const KEY = "incentives.token";
const BASE = "/api/v1";

/** A failed request: the HTTP status, the problem's title and the fields it names. */
export class ApiError extends Error {
  constructor(status, title, errors = []) {
    super(title || `The request failed (${status})`);
    this.status = status;
    this.errors = errors;
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

let onSignedOut = () => {};

/** What to do when the server no longer accepts the token (401). */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  const current = token.get();
  if (current) out.Authorization = `Bearer ${current}`;
  return out;
}

async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // Not problem details (a proxy's page, say): the status says enough.
  }
  if (response.status === 401) onSignedOut();
  return new ApiError(response.status, body.title || body.detail, body.errors || []);
}

async function request(path, { method = "GET", body, signal } = {}) {
  const init = { method, signal, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(BASE + path, init);
  if (!response.ok) throw await failure(response);
  return response;
}

/** Call the API: GET by default, JSON in and out. Throws ApiError on a non-2xx answer. */
export async function api(path, options = {}) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

/** One page of a paged list: its items, how many there are in all (``X-Total-Count``)
 * and the path of the next page (the ``Link`` header's ``rel="next"``), null on the last. */
export async function page(path, options = {}) {
  const response = await request(path, options);
  return {
    items: await response.json(),
    total: Number(response.headers.get("X-Total-Count")),
    next: linked(response.headers.get("Link"), "next"),
  };
}

/** The path (under the API's base) a Link header gives for ``rel``, or null. */
function linked(header, rel) {
  for (const part of (header || "").split(",")) {
    const match = /<([^>]*)>\s*;\s*rel="([^"]*)"/.exec(part);
    if (!match || match[2] !== rel) continue;
    const url = new URL(match[1], location.origin);
    if (url.origin === location.origin && url.pathname.startsWith(`${BASE}/`)) return url.pathname.slice(BASE.length) + url.search;
  }
  return null;
}

/** Save what ``path`` answers (a CSV, say) as a file named ``filename``: fetched with the
 * token, which a plain link could not send, and handed to the browser as a download;
 * ``method`` POST for an answer that records something (the payroll export). */
export async function download(path, filename, method = "GET") {
  const response = await fetch(BASE + path, { method, headers: headers({ Accept: "*/*" }) });
  if (!response.ok) throw await failure(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * Follow a Server-Sent Events stream with the bearer token (EventSource cannot send
 * one). Calls ``onEvent(name, data)`` for each event and reconnects after a drop, until
 * ``signal`` aborts.
 */
export async function follow(path, onEvent, signal) {
  let wait = 1000;
  while (!signal.aborted) {
    try {
      const response = await fetch(BASE + path, { headers: headers({ Accept: "text/event-stream" }), signal });
      if (!response.ok) throw await failure(response);
      wait = 1000;
      await read(response.body, onEvent);
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && error.status < 500) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 30000);
  }
}

async function read(stream, onEvent) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") name = text;
        else if (field === "data") data.push(text);
      }
      if (data.length) onEvent(name, JSON.parse(data.join("\n")));
    }
  }
}

// The last part of a field's path: an item ("[0]") or a member (".cash").
const PART = /(\[\d+\]|\.[^.[\]]+)$/;

/** The control named by ``data-field`` for a field the API names, or, failing that, for
 * the field it is part of: ``events[0]`` is shown beside ``events``. */
function claimant(form, field) {
  for (let name = field; ; name = name.replace(PART, "")) {
    const input = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (input || !PART.test(name)) return input;
  }
}

/** Show a failure's field messages beside the inputs named by ``data-field``, and
 * return the messages no input claims. */
export function markFields(form, error) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  const unclaimed = [];
  for (const problem of error.errors || []) {
    const input = claimant(form, problem.field);
    if (!input) {
      unclaimed.push(problem);
      continue;
    }
    const said = `${problem.field}: ${problem.message}`;
    const id = `${input.id}-error`;
    const earlier = form.querySelector(`#${CSS.escape(id)}`);
    if (earlier) {
      earlier.textContent += `; ${said}`;
      continue;
    }
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = id;
    note.textContent = said;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    input.closest("label, .field")?.append(note);
  }
  return unclaimed;
}

/** A refused form: each field's message beside it, and all of them in ``summary`` (an
 * alert region), brought into view. */
export function explain(form, summary, error) {
  markFields(form, error);
  const items = (error.errors || []).map((p) => `${p.field}: ${p.message}`);
  // A title that only repeats its one field's message is said once.
  fill(summary, h("div", { class: "notice" },
    items.includes(error.message) ? null : h("p", {}, error.message),
    items.length ? h("ul", {}, items.map((text) => h("li", {}, text))) : null));
  summary.scrollIntoView({ block: "nearest" });
}
