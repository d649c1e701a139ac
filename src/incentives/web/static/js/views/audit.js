// The audit trail for finance: who did what to which entity and when, with what changed,
// filtered by entity, key, actor, action and dates, newest first, older pages on demand.
import { api } from "../api.js";
import { fill, h, labelled, table, when } from "../dom.js";

const FIELDS = ["entity", "entity_key", "actor", "action"];
const ENTITIES = ["statement", "dispute", "manual_adjustment", "periods", "plan", "contest", "award", "principal", "deals", "participants", "quotas"];

/** The view; the filters live in the query (``?entity=statement&since=2026-10-01``). */
export function render(view, { query }) {
  load(view, query).catch((error) => view.append(h("p", { class: "error", role: "alert" }, error.message)));
}

/** The API's filters from the page's query: dates are whole UTC days, ``until`` included. */
function filters(query) {
  const out = new URLSearchParams({ limit: "50" });
  for (const name of FIELDS) if (query.get(name)) out.set(name, query.get(name));
  if (query.get("since")) out.set("since", `${query.get("since")}T00:00:00Z`);
  if (query.get("until")) {
    const next = new Date(`${query.get("until")}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    out.set("until", next.toISOString());
  }
  return out;
}

async function load(view, query) {
  const input = (name, label, attrs = {}) => labelled(`f-${name}`, label, h("input", { id: `f-${name}`, name, value: query.get(name) || "", ...attrs }));
  const form = h("form", { class: "row filters", "aria-label": "Filters" },
    input("entity", "Entity", { list: "entities" }),
    h("datalist", { id: "entities" }, ENTITIES.map((e) => h("option", { value: e }))),
    input("entity_key", "Key", { placeholder: "338, 2026-Q3…" }),
    input("actor", "Actor"),
    input("action", "Action", { placeholder: "approve, close…" }),
    input("since", "From", { type: "date" }),
    input("until", "To", { type: "date" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter"), h("a", { href: "#/audit" }, "Clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const name of [...FIELDS, "since", "until"]) if (form[name].value.trim()) chosen.set(name, form[name].value.trim());
    location.hash = `#/audit?${chosen}`;
  });
  const body = h("tbody", {});
  const more = h("div", { class: "actions" });
  fill(view, h("p", {}, h("a", { href: "#/finance" }, "← Finance")), h("h1", {}, "Audit trail"), form, h("div", { "aria-live": "polite" }, more));
  const wanted = filters(query);
  const page = (before) => {
    if (before) wanted.set("before_id", before);
    return api(`/audit?${wanted}`);
  };
  const first = await page(null);
  if (!first.entries.length) {
    view.insertBefore(h("p", { class: "muted" }, "No entries match these filters."), more.parentElement);
    return;
  }
  const shown = table("Newest first", HEADS.map((label) => ({ label })), []);
  shown.querySelector("table").replaceChild(body, shown.querySelector("tbody"));
  view.insertBefore(shown, more.parentElement);
  const add = (result) => {
    body.append(...result.entries.map(row));
    fill(more, result.next_before_id
      ? h("button", { type: "button", class: "secondary", onclick: async () => add(await page(result.next_before_id)) }, "Older entries")
      : h("p", { class: "muted" }, `${body.rows.length} entr${body.rows.length === 1 ? "y" : "ies"}, the oldest reached.`));
  };
  add(first);
}

const HEADS = ["When", "Who", "Action", "Entity", "What changed"];

function row(entry) {
  const cells = [
    when(entry.at),
    [entry.actor, entry.channel !== entry.actor ? h("span", { class: "muted" }, ` via ${entry.channel}`) : null],
    entry.action,
    `${entry.entity}${entry.entity_key ? ` ${entry.entity_key}` : ""}`,
    changed(entry.before, entry.after),
  ];
  return h("tr", { "data-audit": entry.id }, cells.map((cell, i) => h("td", { "data-label": HEADS[i] }, cell)));
}

/** The fields whose value differs between before and after, as "status: draft → submitted". */
function changed(before, after) {
  const shown = (v) => (v === undefined || v === null ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const flat = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : { value: v });
  const [b, a] = [flat(before ?? {}), flat(after ?? {})];
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  if (!keys.length) return "–";
  return h("ul", { class: "changes" }, keys.map((k) => h("li", {}, h("strong", {}, `${k}: `), `${shown(b[k])} → ${shown(a[k])}`)));
}
