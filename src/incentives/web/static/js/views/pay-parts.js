// Parts of the pay page: a line's explanation with its structure, points and badges, the
// reader's disputes, and the estimator.
import { api, markFields } from "../api.js";
import { announce, date, fill, h, labelled, money, number, percent, table, today, when } from "../dom.js";

/** The explanation's text keeps its structure: each unindented line a paragraph, the
 * indented lines under it a list. */
export function structured(text) {
  const blocks = [];
  for (const raw of text.split("\n")) {
    if (!raw.trim()) continue;
    if (/^\s/.test(raw) && blocks.length) {
      const last = blocks.at(-1);
      if (last.tagName !== "UL") blocks.push(h("ul", {}));
      blocks.at(-1).append(h("li", {}, raw.trim()));
    } else {
      blocks.push(h("p", {}, raw.trim()));
    }
  }
  return h("div", { class: "explanation" }, blocks);
}

/** Explain a line into ``body``: the words, then the deals behind it. */
export async function explain(body, path) {
  try {
    const found = await api(path);
    const currency = found.line.currency;
    fill(
      body,
      structured(found.text),
      found.deals.length
        ? table(
            "Deals behind this line",
            [{ label: "Deal" }, { label: "Closed" }, { label: "Product" }, { label: "Credit" }, { label: "Share", num: true }, { label: "Credited", num: true }, { label: "Multiplier", num: true }, { label: "Counted", num: true }, { label: "Deal amount", num: true }],
            found.deals.map((d) =>
              h(
                "tr",
                {},
                h("td", {}, d.deal),
                h("td", {}, date(d.close_date)),
                h("td", {}, d.product || "–"),
                h("td", {}, d.via ? `${d.source} via ${d.via}` : d.source),
                h("td", { class: "num" }, percent(d.share, 2)),
                h("td", { class: "num money" }, money(d.credited, currency)),
                h("td", { class: "num" }, d.multiplier === null ? "–" : `×${number(d.multiplier, 4)}`),
                h("td", { class: "num money" }, d.counted === null ? "–" : money(d.counted, currency)),
                h("td", { class: "num money" }, money(d.deal_amount, d.deal_currency)),
              )),
          )
        : null,
    );
  } catch (error) {
    fill(body, h("p", { class: "error" }, error.message));
  }
}

/** Points, level and progress to the next, badges and recent awards. */
export function achievements(path) {
  const area = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  api(path).then((found) => {
    const level = found.level;
    const next = found.next_level;
    const span = next ? next.points - (level?.points || 0) : 0;
    const into = found.points - (level?.points || 0);
    const recent = found.awards.filter((a) => !a.revoked_at).slice(0, 5);
    fill(
      area,
      h("div", { class: "grid" },
        h("div", { class: "card measure", "data-games": "points" },
          h("strong", {}, `${number(String(found.points))} points`),
          level || next ? h("span", {}, level ? `Level: ${level.name}` : "No level yet") : null,
          next ? [
            h("progress", { max: span, value: Math.max(0, into), "aria-label": `Progress to ${next.name}` }),
            h("span", { class: "muted" }, `${number(String(next.points - found.points))} points to ${next.name}`),
          ] : level ? h("span", { class: "muted" }, "Top level reached") : null),
        h("div", { class: "card" },
          h("strong", {}, "Badges"),
          found.badges.length
            ? h("ul", { class: "badges" }, found.badges.map((b) => h("li", { class: "earned" }, h("span", { class: "medal", "aria-hidden": "true" }, b.slice(0, 1).toUpperCase()), b.replaceAll("-", " "))))
            : h("p", { class: "muted" }, "No badges yet."))),
      recent.length ? table("Recent awards", [{ label: "Award" }, { label: "Points", num: true }, { label: "Badge" }, { label: "When" }],
        recent.map((a) => h("tr", {}, h("td", {}, a.name, a.detail?.periods ? ` (${a.detail.periods.join(", ")})` : ""), h("td", { class: "num" }, a.points), h("td", {}, a.badge || "–"), h("td", {}, when(a.awarded_at))))) : null,
    );
  }).catch((error) => fill(area, h("p", { class: "muted" }, error.status === 404 ? "No points or badges." : error.message)));
  return area;
}

/** The reader's disputes and where each stands. */
export function disputes() {
  const area = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  api("/disputes").then((rows) => fill(area, rows.length
    ? table(null, [{ label: "Statement" }, { label: "Line" }, { label: "By" }, { label: "Raised" }, { label: "Status" }, { label: "Answer" }],
        rows.map((d) => h("tr", { "data-dispute": d.id },
          h("td", {}, h("a", { href: `#/statements/${d.statement}` }, d.period)),
          h("td", {}, `${d.line_name} (${money(d.line_amount, d.currency)})`),
          h("td", {}, d.opened_by),
          h("td", {}, when(d.opened_at)),
          h("td", {}, h("span", { class: `badge ${d.status}` }, d.status)),
          h("td", {}, [d.answer, d.resolution_reason, d.adjustment ? `Adjustment of ${money(d.adjustment.amount, d.adjustment.currency)} in ${d.adjustment.period}` : null].filter(Boolean).join(" · ") || "–"))))
    : h("p", { class: "muted" }, "No disputes. To query a line, open its statement."))).catch((error) => fill(area, h("p", { class: "error" }, error.message)));
  return area;
}

/** The estimator, offered when the reader has deals of their own. */
export function estimator() {
  const section = h("section", { "aria-labelledby": "estimate-title", hidden: true });
  api("/me/estimate/options").then((options) => {
    if (!options.own_deals) return;
    section.hidden = false;
    fill(section, h("h2", { id: "estimate-title" }, "Estimate a deal"), form(options));
  }).catch(() => {});
  return section;
}

function form(options) {
  const result = h("div", { "aria-live": "polite" });
  const input = (id, label, attrs) => labelled(id, label, h("input", { id, name: id, ...attrs }));
  const products = h("select", { id: "est-product", name: "est-product", "data-field": "deals[0].product" },
    h("option", { value: "" }, "No product"), options.products.map((p) => h("option", { value: p }, p)));
  const el = h(
    "form",
    { class: "stack card", "aria-labelledby": "estimate-title" },
    h(
      "div",
      { class: "row" },
      input("est-amount", `Deal amount (${options.currency})`, { inputmode: "decimal", required: true, "data-field": "deals[0].amount", pattern: "\\d+(\\.\\d{1,6})?" }),
      input("est-date", "Close date", { type: "date", required: true, value: today(), "data-field": "deals[0].close_date" }),
      labelled("est-product", "Product", products),
    ),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Estimate")),
    result,
  );
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    const deal = { amount: el["est-amount"].value.trim(), close_date: el["est-date"].value };
    if (products.value) deal.product = products.value;
    try {
      const found = await api("/me/estimate", { method: "POST", body: { deals: [deal] } });
      markFields(el, { errors: [] });
      fill(
        result,
        !found.periods.length ? h("p", {}, "No plan of yours pays for a deal closed that day.") : table(
          "With this deal",
          [{ label: "Period" }, { label: "Plan" }, { label: "Now", num: true }, { label: "With the deal", num: true }, { label: "Change", num: true }],
          found.periods.map((p) =>
            h(
              "tr",
              {},
              h("td", {}, p.period),
              h("td", {}, p.plan),
              h("td", { class: "num money" }, money(p.current, p.currency)),
              h("td", { class: "num money" }, money(p.with_deals, p.currency)),
              h("td", { class: "num money difference" }, money(p.difference, p.currency)),
            )),
        ),
      );
      announce("Estimate ready");
    } catch (error) {
      const rest = markFields(el, error);
      fill(result, h("p", { class: "error", role: "alert" }, error.message, rest.map((p) => ` ${p.field}: ${p.message}`)));
    }
  });
  return el;
}
