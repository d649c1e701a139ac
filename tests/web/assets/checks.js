// What the browser tests ask of every page, evaluated in it (after axe.min.js for the first).
({
  // Serious or critical WCAG 2.1 A/AA violations of what the page shows now.
  async violations() {
    const result = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
  },
  // What is cut off at the page's width: a page that scrolls sideways, a cell outside it.
  cut() {
    const width = document.documentElement.clientWidth;
    const out = [];
    const scrolled = document.documentElement.scrollWidth;
    if (scrolled > width) out.push(`page is ${scrolled}px wide`);
    for (const cell of document.querySelectorAll("td, th")) {
      // Column heads hidden on phones (each cell carries its own label) are not shown.
      const head = cell.closest("thead");
      if (head && head.getBoundingClientRect().width <= 1) continue;
      const box = cell.getBoundingClientRect();
      if (box.width && (box.left < -0.5 || box.right > width + 0.5)) {
        out.push(`${cell.dataset.label || cell.tagName}: ${cell.textContent.trim().slice(0, 40)}`);
      }
    }
    return out;
  },
})
