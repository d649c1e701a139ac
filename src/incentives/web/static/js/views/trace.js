// A statement line's trace in words and figures: the method, each band of the rate table
// with its base, rate and earnings, the gate, the cap and what it held back, the
// rounding, and whatever else the engine recorded (draws, prior payments, a dispute).
import { fill, h, money, number, table } from "../dom.js";

// Trace fields shown on their own; the rest appear as "name: value" when set.
const SHOWN = new Set(["kind", "method", "measure", "steps", "cap", "before_cap", "gate", "gate_met", "unrounded", "rounding", "deals", "milestones", "note"]);

/** The trace of ``line`` as a folded block: "How it was computed". */
export function trace(line) {
  const t = line.trace || {};
  const body = h("div", { class: "trace-body" });
  const method = [t.method, t.measure ? `on ${t.measure}` : null].filter(Boolean).join(" ");
  const steps = t.steps || [];
  fill(
    body,
    h("p", {}, h("strong", {}, line.kind), method ? ` · ${method}` : "", t.note ? ` · ${t.note}` : ""),
    steps.length
      ? table(null, [{ label: "From", num: true }, { label: "To", num: true }, { label: "Base", num: true }, { label: "Rate", num: true }, { label: "Earned", num: true }],
          steps.map((s) => h("tr", {},
            h("td", { class: "num" }, number(s.lower, 4)),
            h("td", { class: "num" }, s.upper === null ? "and above" : number(s.upper, 4)),
            h("td", { class: "num" }, number(s.base, 4)),
            h("td", { class: "num" }, number(s.rate, 6)),
            h("td", { class: "num money" }, number(s.earned, 4)))))
      : null,
    h("ul", {},
      t.gate !== null && t.gate !== undefined ? h("li", {}, `Gate ${number(t.gate, 4)}: ${t.gate_met ? "met" : "not met, nothing paid"}`) : null,
      t.cap !== null && t.cap !== undefined ? h("li", {}, `Cap ${money(t.cap, line.currency)}${t.before_cap ? `: ${money(t.before_cap, line.currency)} before the cap` : ": not reached"}`) : null,
      // Only component lines are rounded (a clawback's exact amount is its line's).
      t.unrounded && t.rounding ? h("li", {}, `Unrounded ${number(t.unrounded, 6)}, rounded ${t.rounding.replace("_", " ")} to `, h("span", { class: "money" }, money(line.amount, line.currency))) : null,
      t.deals?.length ? h("li", {}, `${t.deals.length} deal(s) counted`) : null,
      Object.entries(t).filter(([k, v]) => !SHOWN.has(k) && v !== null && v !== "" && !(Array.isArray(v) && !v.length)).map(([k, v]) => h("li", {}, `${k.replaceAll("_", " ")}: ${typeof v === "object" ? JSON.stringify(v) : v}`))),
  );
  return h("details", { class: "trace" }, h("summary", {}, "How it was computed"), body);
}
