// Charts with Chart.js (vendored under /app/vendor/chartjs, loaded as the global Chart)
// in the page's own colours, light or dark. Every chart has a text alternative: its
// canvas is an image named by a sentence that says what it shows, and the figures it
// is drawn from are a table beside it, so nothing is only in the picture.
import { h, table } from "./dom.js";

const REDUCED = matchMedia("(prefers-reduced-motion: reduce)");

/** The theme's colours, read from the CSS variables at drawing time. */
export function palette() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    ink: v("--ink"), muted: v("--muted"), line: v("--line"), paper: v("--paper"),
    brand: v("--brand"), good: v("--good"), bad: v("--bad"), warn: v("--warn"), accent: v("--accent"),
  };
}

/**
 * A chart in a figure: ``summary`` names the canvas for screen readers and is shown as
 * the caption; ``figures`` ({caption, heads, rows}) is the data as a table, folded away
 * under "Figures"; ``config`` is Chart.js's (type, data, options), ``colours`` a
 * function of the palette that fills in the datasets' colours.
 */
export function chart({ summary, figures, config, height = 14, name }) {
  const canvas = h("canvas", { role: "img", "aria-label": summary });
  const colours = palette();
  const scales = Object.fromEntries(
    Object.entries(config.options?.scales || {}).map(([key, scale]) => [key, {
      ...scale,
      grid: { color: colours.line, ...(scale.grid || {}) },
      ticks: { color: colours.muted, ...(scale.ticks || {}) },
      title: scale.title ? { color: colours.muted, display: true, ...scale.title } : undefined,
    }]),
  );
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: REDUCED.matches ? false : { duration: 400 },
    ...config.options,
    scales,
    plugins: {
      ...(config.options?.plugins || {}),
      legend: { labels: { color: colours.ink, boxWidth: 14 }, ...(config.options?.plugins?.legend || {}) },
    },
  };
  const drawn = new window.Chart(canvas, { ...config, data: config.data(colours), options });
  // Set through the CSSOM: the page's policy refuses style attributes, not this.
  const area = h("div", { class: "chart-area" }, canvas);
  area.style.height = `${height}rem`;
  const figure = h(
    "figure",
    { class: "chart", "data-chart": name || null },
    h("figcaption", {}, summary),
    area,
    figures ? h("details", { class: "figures" }, h("summary", {}, "Figures"), table(figures.caption, figures.heads, figures.rows)) : null,
  );
  figure.chart = drawn;
  return figure;
}
