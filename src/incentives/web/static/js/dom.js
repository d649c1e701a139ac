// Building the page: elements from data with textContent only (never HTML from data),
// and exact decimal formatting of the API's amounts, which arrive as strings.

/** An element with attributes (on* keys become listeners) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key in el && typeof value !== "string") {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table: caption, column heads ({label, num}) and rows of cells. Each cell is labelled
 * with its column's head, so that on a phone a row reads as a card ("Total: $1.00"). */
export function table(caption, heads, rows) {
  const body = h("tbody", {}, rows);
  for (const tr of body.rows) {
    let column = 0;
    for (const cell of tr.cells) {
      const head = heads[column];
      const label = head && (typeof head.label === "string" ? head.label : head.label?.textContent);
      if (label && !cell.hasAttribute("data-label")) cell.dataset.label = label;
      column += cell.colSpan;
    }
  }
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      { class: "cards" },
      caption ? h("caption", {}, caption) : null,
      h("thead", {}, h("tr", {}, heads.map((c) => h("th", { scope: "col", class: c.num ? "num" : "" }, c.label)))),
      body,
    ),
  );
}

// --- decimals, exactly: a decimal string as a BigInt and a scale -----------------

function parse(text) {
  const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!match) return null;
  const fraction = match[3] || "";
  return { value: BigInt((match[1] || "") + ((match[2] || "0") + fraction)), scale: fraction.length };
}

/** ``text`` rounded half away from zero to ``places`` places, as a plain string. */
export function round(text, places) {
  const d = parse(text);
  if (!d) return String(text);
  let value = d.value;
  if (d.scale > places) {
    const unit = 10n ** BigInt(d.scale - places);
    const negative = value < 0n;
    const size = negative ? -value : value;
    let q = size / unit;
    if ((size % unit) * 2n >= unit) q += 1n;
    value = negative ? -q : q;
  } else {
    value *= 10n ** BigInt(places - d.scale);
  }
  return decimal(value, places);
}

/** A BigInt ``value`` with ``scale`` decimal places, as a plain decimal string. */
function decimal(value, scale) {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return `${negative ? "-" : ""}${text}`;
}

/** Thousands separators on a plain decimal string. */
export function grouped(text) {
  const [whole, fraction] = String(text).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  const digits = whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${sign}${digits}${fraction !== undefined ? `.${fraction}` : ""}`;
}

// The reader's locale for every figure and date (the browser's language).
const LOCALE = navigator.language || "en-US";
const CURRENCY_FORMATS = new Map();

function currencyFormat(currency) {
  if (!CURRENCY_FORMATS.has(currency)) {
    CURRENCY_FORMATS.set(currency, new Intl.NumberFormat(LOCALE, { style: "currency", currency }));
  }
  return CURRENCY_FORMATS.get(currency);
}

/** An amount in its currency's own format ("$12,345.67", "¥1,235"), rounded half away
 * from zero to the currency's minor unit; Intl formats the decimal string exactly. */
export function money(amount, currency) {
  const format = currencyFormat(currency);
  return format.format(round(amount, format.resolvedOptions().maximumFractionDigits));
}

/** An ISO date ("2026-12-07") in the reader's locale ("Dec 7, 2026"). */
export function date(iso, options = { dateStyle: "medium" }) {
  if (!iso) return "–";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Intl.DateTimeFormat(LOCALE, { ...options, timeZone: "UTC" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** A UTC timestamp ("2026-12-07T07:02:18Z") in the reader's locale and time zone, to the
 * minute ("Dec 7, 2026, 7:02 AM") or, with ``timeStyle: "medium"``, the second. */
export function when(timestamp, timeStyle = "short") {
  return timestamp ? new Intl.DateTimeFormat(LOCALE, { dateStyle: "medium", timeStyle }).format(new Date(timestamp)) : "–";
}

/** A plain number with separators, at most ``places`` decimals, trailing zeros dropped. */
export function number(text, places = 2) {
  let out = round(text, places);
  if (out.includes(".")) out = out.replace(/\.?0+$/, "");
  return grouped(out);
}

/** A fraction ("0.1284") as a percentage ("12.8%"). */
export function percent(fraction, places = 1) {
  const d = parse(fraction);
  if (!d) return "–";
  return `${grouped(round(decimal(d.value * 100n, d.scale), places))}%`;
}

/** A four-place fraction as a percentage to two places, trailing zeros dropped
 * ("0.1285" is "12.85%", "1.0000" is "100%"): exact, never rounded twice. */
export function pct(fraction) {
  const text = percent(fraction, 2);
  return text.replace(/\.?0+%$/, "%");
}

/** A whole-number percentage (0-100) of a fraction, for progress bars. */
export function percentValue(fraction) {
  const d = parse(fraction);
  if (!d) return 0;
  return Math.max(0, Number(round(decimal(d.value * 100n, d.scale), 0)));
}

/** A status as a small labelled badge. */
export function badge(status) {
  return h("span", { class: `badge ${status}` }, status);
}

/** What a page shows when the API refuses it or fails: its heading and the API's own
 * words (a catch handler: ``load().catch(refusal(view, "Webhooks"))``). */
export function refusal(view, heading) {
  return (error) => fill(view, h("h1", {}, heading), h("p", { class: "error", role: "alert" }, error.message));
}

/** Run ``render`` (which redraws part of ``root``), then give the focus back to the
 * control that had it, found again by its ``data-action``, or else to the notice the new
 * drawing holds (``data-notice``): a keyboard user stays where they were. */
export async function keepingFocus(root, render) {
  const action = document.activeElement?.dataset?.action;
  await render();
  const again = action && root.querySelector(`[data-action="${CSS.escape(action)}"]`);
  (again || root.querySelector("[data-notice]"))?.focus();
}

/** What an action did, in a card that ``keepingFocus`` gives the focus to; ``ok`` false
 * for a refusal. */
export function outcome(text, ok = true) {
  return h("div", { class: `card outcome ${ok ? "ok" : "error"}`, role: ok ? "status" : "alert", tabindex: -1, "data-notice": "" }, text);
}

/** Say something to screen readers and sighted users alike, for a few seconds. */
export function announce(text) {
  const region = document.getElementById("announcer");
  region.textContent = text;
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => { region.textContent = ""; }, 4000);
}

/** A control with its visible label beside it (not around it, so that the control's
 * accessible name is the label alone). */
export function labelled(id, text, control) {
  return h("div", { class: "field" }, h("label", { for: id }, text), control);
}

/** The exact sum of decimal strings, as a decimal string. */
export function sum(texts) {
  const parts = texts.map(parse).filter(Boolean);
  const scale = Math.max(0, ...parts.map((d) => d.scale));
  const total = parts.reduce((acc, d) => acc + d.value * 10n ** BigInt(scale - d.scale), 0n);
  return decimal(total, scale);
}

/** ``numerator / denominator`` (decimal strings) to ``places`` places, rounded half away
 * from zero, as a decimal string; null when the denominator is zero. */
export function ratio(numerator, denominator, places) {
  const [n, d] = [parse(numerator), parse(denominator)];
  if (!n || !d || d.value === 0n) return null;
  // n.value/10^n.scale ÷ d.value/10^d.scale, scaled by 10^places, with one extra digit to round.
  const top = n.value * 10n ** BigInt(d.scale + places + 1);
  const bottom = d.value * 10n ** BigInt(n.scale);
  return round(decimal(top / bottom, places + 1), places);
}

/** Amounts in several currencies, summed per currency: "1,000.00 USD + 20.00 EUR". */
export function totals(items) {
  const by = new Map();
  for (const item of items) by.set(item.currency, [...(by.get(item.currency) || []), item.amount]);
  return [...by].map(([currency, amounts]) => money(sum(amounts), currency)).join(" + ");
}

/** A measure's figure: money to the cent, a count as it is. */
export function figure(text, unit) {
  return unit === "money" ? grouped(round(text, 2)) : number(text, 2);
}

/** Today's date in the browser, as an ISO date. */
export const today = () => new Date().toISOString().slice(0, 10);
