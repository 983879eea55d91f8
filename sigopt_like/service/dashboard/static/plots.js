// Small hand-written SVG plots: scatter/line charts with hover read-outs and
// series that toggle from the legend, and a parallel-coordinates view.
//
// Why by hand: the pages must install with pip alone (no Node build step, no
// CDN), and a plotting library shipped in a Python package would add a
// multi-megabyte dependency for four kinds of plot. These few hundred lines
// draw exactly what the pages need, escape every label (text nodes only), and
// obey the page's Content-Security-Policy (no inline script or style).

import { h, named, s } from "./dom.js";
import { count, graphemes, grouped, isolated, num, wholeNames } from "./format.js";

export const PALETTE = ["#0f766e", "#d97706", "#2563eb", "#be123c", "#7c3aed", "#475569"];
// the lines' ramp, worse to better: viridis' dark end, its light end darkened so that
// every colour of it stands 3.8:1 or more on the white card (viridis' best lines, a yellow
// of 1.3:1, could not be told from the paper)
const RAMP = ["#440154", "#3b528b", "#21918c", "#2e8540", "#8a6d00"];

// the window width at which the pages put one card a row (dashboard.css, .grid-2), and
// what a card's width is short of the window's there (page and card padding, borders)
const ONE_COLUMN = 860;
const NARROW_GUTTERS = 52;
// a chart's tick labels: 11 px text, at most this wide a character (digits, "e", "+", "-", ",")
const TICK_CHAR = 7;
const TICK_GAP = 8; // between a tick label and its axis
const AXIS_NAME_ROOM = 26; // the rotated axis name, left of the tick labels
// a tick label in parallel coordinates (a category's name, a number): its plate ends this
// far left of the axis, the label this far inside the plate, in text at most this large
// (.plot .tick)
const PLATE_GAP = 6;
const PLATE_PAD = 4;
const TICK_PX = 11;
// a plate's height, and the least distance of two labelled categories' centres (a plate
// and a gap); a categorical axis of many levels makes the chart taller, up to LABELLED_ROWS
// rows, and past that labels every so many levels (each plate tells its full name)
const PLATE_H = 16;
const PLATE_ROW = PLATE_H + 2;
const LABELLED_ROWS = 60;
const PC_HEIGHT = 380;
// parallel coordinates: the least room of an axis, in the drawing's units and in CSS pixels
// alike (dashboard.css, .pc-stack's min-width), so that a unit is drawn at a pixel or more
const PC_AXIS = 120;
const PC_MARGIN = { top: 34, right: 60, bottom: 18, left: 60 };
// how near a line the pointer reads it (as a 9-unit-wide hit path did)
const LINE_REACH = 4.5;
// an axis's name above it: 12 px bold text (.plot .axis-label), at most this many letters
const AXIS_NAME_PX = 12;
const AXIS_NAME_CHARS = 18;

/** A tick's label: 3 significant digits, without the zeros a round tick ends with
 * ("8e+307", not "8.00e+307"; num drops them), past a thousand grouped as the page's
 * counts are ("5,000", not "5000"). */
export function tickText(value) {
  return grouped(num(value, 3));
}

/** The round step of about `count` ticks over [lo, hi] (1, 2 or 5 times a power of ten). */
function tickStep(lo, hi, count) {
  const raw = ((hi / 2 - lo / 2) / count) * 2; // in halves: see halfSpan
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / magnitude;
  return (ratio >= 7.5 ? 10 : ratio >= 3.5 ? 5 : ratio >= 1.5 ? 2 : 1) * magnitude;
}

/**
 * The multiples of `step` in [lo, hi], each one k * step: added up step by step, steps
 * of 0.2 from -1 came to -5.55e-17, not 0, and an axis of counts (whole numbers only) lost
 * its 0: a campaign of generation 0 alone had no generation labelled.
 */
function multiples(lo, hi, step) {
  const ticks = [];
  const end = Math.min(hi + step * 1e-9, Number.MAX_VALUE); // near the limit: not Infinity
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= end; k += 1) {
    ticks.push(Number((k * step).toPrecision(12)) || 0); // || 0: -0 is 0
  }
  return ticks;
}

/**
 * A numeric axis holding [lo, hi]: its domain and about `count` ticks, the domain's two
 * ends among them, so that a reader can read where the axis starts and ends. Ticks only
 * inside the range left its ends unlabelled. The ends are widened to the round ticks
 * around lo and hi (as d3's nice() does); where that would pass the largest number (values
 * near the float limit), the end stays and is labelled itself, the round ticks nearer to
 * it than a step left out so that no two labels meet.
 */
export function niceAxis(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 1] };
  if (lo === hi) return { domain: [lo, hi], ticks: [lo] };
  const step = tickStep(lo, hi, count);
  // a value a hair past a multiple (0.30000000000000004 of steps of 0.1) is on it
  const below = Number((Math.floor(lo / step + 1e-9) * step).toPrecision(12));
  const above = Number((Math.ceil(hi / step - 1e-9) * step).toPrecision(12));
  const d0 = Number.isFinite(below) ? Math.min(lo, below) : lo;
  const d1 = Number.isFinite(above) ? Math.max(hi, above) : hi;
  const far = (v, end) => Math.abs(v / 2 - end / 2) * 2 >= step * (1 - 1e-9);
  const inner = multiples(d0, d1, step).filter((v) => far(v, d0) && far(v, d1));
  return { domain: [d0, d1], ticks: [d0, ...inner, d1] };
}

/**
 * Half of hi - lo. Values near the float limit (responses of 1.7e308 and -1.7e308 are
 * valid) are further apart than the largest number: their difference is Infinity, and
 * every marker was placed at NaN. Halving is exact, so (v/2 - lo/2) / halfSpan is
 * (v - lo) / (hi - lo) to the last bit for ordinary numbers.
 */
function halfSpan(lo, hi) {
  return hi / 2 - lo / 2;
}

/**
 * The least and the greatest finite number of `values`, or null when none is finite. A
 * loop, not Math.min(...values): a spread passes each value as an argument, and past
 * about 125,000 of them Chromium throws "Maximum call stack size exceeded".
 */
export function finiteRange(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** The range of `values` (niceAxis rounds it outwards), widened about a lone value.
 * `counts`: values of a count (generations, observations), so widened no lower than 0: a
 * campaign of generation 0 alone had its axis run from -1, and "-1" labelled. */
function extent(values, counts = false) {
  const range = finiteRange(values);
  if (range === null) return [0, 1];
  const [lo, hi] = range;
  if (lo < hi) return range;
  const pad = Math.abs(lo) * 0.1 || 1;
  const floor = counts && lo >= 0 ? 0 : -Number.MAX_VALUE;
  return [Math.max(lo - pad, floor), Math.min(hi + pad, Number.MAX_VALUE)];
}

function linear(d0, d1, r0, r1) {
  const half = halfSpan(d0, d1) || 0.5;
  return (v) => r0 + ((v / 2 - d0 / 2) / half) * (r1 - r0);
}

/** A colour on the lines' ramp (RAMP) for t in [0, 1]. */
export function ramp(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i].match(/\w\w/g).map((c) => parseInt(c, 16));
  const b = RAMP[i + 1].match(/\w\w/g).map((c) => parseInt(c, 16));
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
}

function toViewBox(svg, event) {
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const matrix = svg.getScreenCTM();
  return matrix ? point.matrixTransform(matrix.inverse()) : point;
}

// the item the arrow keys, Home or End step to from item `at` (-1: none yet) of `count`, or
// undefined for another key: both charts read their points out by keyboard so
export function steppedTo(key, at, count) {
  const last = count - 1;
  const to = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: last }[key];
  return to === undefined || last < 0 ? undefined : Math.min(last, Math.max(0, to));
}

function showTip(tip, figure, event, lines) {
  tip.replaceChildren(...lines.map((line, i) => h("div", i === 0 ? { class: "tip-head" } : null, line)));
  tip.hidden = false;
  const box = figure.getBoundingClientRect();
  const x = event.clientX - box.left;
  const y = event.clientY - box.top;
  const flip = x > box.width * 0.6;
  tip.style.left = `${flip ? Math.max(0, x - tip.offsetWidth - 14) : x + 14}px`;
  tip.style.top = `${Math.max(0, y - 10)}px`;
}

/**
 * The width of a chart's drawing, in the units of its text: 640, or on a narrow screen
 * (one card a row) about the card's width in CSS pixels. A 640-wide drawing shrunk into a
 * phone's 330-pixel card drew its 11 px labels at under 6 px, too small to read.
 */
export function chartWidth(windowWidth) {
  if (!(windowWidth <= ONE_COLUMN)) return 640;
  return Math.round(Math.min(640, Math.max(280, windowWidth - NARROW_GUTTERS)));
}

/**
 * The axis under a chart `width` wide over [lo, hi]: at most 6 ticks, fewer when their
 * labels would not fit side by side (a narrow screen, long numbers). `integer`: an axis of
 * counts (observations, generations), labelled at whole numbers only.
 */
export function bottomAxis([lo, hi], width, integer) {
  let axis = null;
  for (let count = 6; count >= 1; count -= 1) {
    axis = niceAxis(lo, hi, count);
    // a count is never negative: a generation's markers spread a little either side of
    // it (generation 0's reach below 0), but no "-1" is labelled under them
    if (integer) axis.ticks = axis.ticks.filter((v) => Number.isInteger(v) && v >= 0);
    const [d0, d1] = axis.domain;
    const at = (v) => ((v / 2 - d0 / 2) / (halfSpan(d0, d1) || 0.5)) * width;
    const room = (i) => at(axis.ticks[i + 1]) - at(axis.ticks[i]);
    // centred labels: two neighbours meet when the gap is under half of each one's width
    const fits = axis.ticks.slice(1).every((v, i) => room(i) >= (TICK_CHAR * (tickText(v).length + tickText(axis.ticks[i]).length)) / 2 + TICK_GAP);
    if (fits) return axis;
  }
  return axis;
}

/** What tells a chart from the others of its page, across redraws: its label and the
 * whole names it cut (two metrics' names of the same first letters). */
function focusKey(options) {
  return [options.label, ...(options.names || [])].join(" · ");
}

/**
 * A chart of series of points, drawn as markers and/or lines.
 *
 * series: [{name, color?, points: [{x, y, lines: [text...]}], line?, markers?, dashed?}]
 * options: {label, xLabel, yLabel, integerX?, height?, names?}: label, the accessible name,
 * speaks each name of the user's cut and set apart (format.js spoken()); names, those names
 * whole, in the accessible description when the label cut one
 */
export function chart(series, options) {
  const W = chartWidth(window.innerWidth);
  const H = options.height || 300;
  const M = { top: 14, right: 16, bottom: 44, left: 64 };
  const figure = h("figure", { class: "plot" });
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "plot-svg",
    role: "img",
    "aria-label": `${options.label} (arrow keys read the points one by one)`,
    "aria-description": wholeNames(options.names || []),
    "data-focus-key": `chart: ${focusKey(options)}`,
    tabindex: 0,
  });
  const tip = h("div", { class: "plot-tip", hidden: true, role: "status" });
  const hidden = new Set();
  let keyed = -1; // the point the arrow keys are on, in `placed` order sorted by x
  const all = series.flatMap((item) => item.points);
  const yAxis = niceAxis(...extent(all.map((p) => p.y)), 5);
  const [y0, y1] = yAxis.domain;
  const yTicks = yAxis.ticks.map((v) => [v, tickText(v)]);
  // room for the longest tick label and the axis name left of it: a fixed margin cut
  // "-8e+307" to "8e+307" (the sign, the value's meaning, lost past the SVG's edge)
  M.left = Math.max(M.left, TICK_GAP + AXIS_NAME_ROOM + TICK_CHAR * Math.max(0, ...yTicks.map(([, t]) => t.length)));
  const xAxis = bottomAxis(extent(all.map((p) => p.x), options.integerX), W - M.right - M.left, options.integerX);
  const [x0, x1] = xAxis.domain;
  const sx = linear(x0, x1, M.left, W - M.right);
  const sy = linear(y0, y1, H - M.bottom, M.top);
  let placed = [];

  function axes() {
    const group = s("g", { class: "axes" });
    for (const [v, text] of yTicks) {
      group.append(
        s("line", { x1: M.left, x2: W - M.right, y1: sy(v), y2: sy(v), class: "grid" }),
        s("text", { x: M.left - TICK_GAP, y: sy(v) + 4, class: "tick", "text-anchor": "end" }, text),
      );
    }
    for (const v of xAxis.ticks) {
      group.append(
        s("line", { x1: sx(v), x2: sx(v), y1: H - M.bottom, y2: H - M.bottom + 5, class: "axis" }),
        s("text", { x: sx(v), y: H - M.bottom + 18, class: "tick", "text-anchor": "middle" }, tickText(v)),
      );
    }
    // an axis's name as long as its axis at most, whole in its title: a metric's name of
    // 500 characters ran past the chart's ends
    const measureName = textWidth(AXIS_NAME_PX, "600");
    const axisName = (text, room) => [s("title", null, text), fitted(text, text.length, room, measureName)];
    group.append(
      s("line", { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: "axis" }),
      s("text", { x: (M.left + W - M.right) / 2, y: H - 6, class: "axis-label", "text-anchor": "middle" }, axisName(String(options.xLabel), W - 8)),
      s(
        "text",
        { x: 14, y: (M.top + H - M.bottom) / 2, class: "axis-label", "text-anchor": "middle", transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` },
        axisName(String(options.yLabel), H - M.bottom - M.top),
      ),
    );
    return group;
  }

  function draw() {
    placed = [];
    svg.replaceChildren(axes());
    series.forEach((item, index) => {
      if (hidden.has(index)) return;
      const color = item.color || PALETTE[index % PALETTE.length];
      const group = s("g", { class: "series", "data-series": item.name });
      const points = item.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
      if (item.line && points.length > 1) {
        const d = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
        group.append(s("path", { d, fill: "none", stroke: color, "stroke-width": 2.2, "stroke-dasharray": item.dashed ? "5 4" : null }));
      }
      if (item.markers !== false) {
        for (const p of points) {
          group.append(s("circle", { cx: sx(p.x), cy: sy(p.y), r: item.radius || 3.6, fill: color, "fill-opacity": item.line ? 1 : 0.7, class: "marker" }));
        }
      }
      for (const p of points) placed.push({ x: sx(p.x), y: sy(p.y), point: p, color, name: item.name });
      svg.append(group);
    });
    svg.append(s("circle", { r: 6.5, class: "focus", cx: -20, cy: -20 }));
  }

  svg.addEventListener("pointermove", (event) => {
    const at = toViewBox(svg, event);
    let best = null;
    let bestDistance = 22 * 22;
    for (const item of placed) {
      const d = (item.x - at.x) ** 2 + (item.y - at.y) ** 2;
      if (d < bestDistance) {
        best = item;
        bestDistance = d;
      }
    }
    const focus = svg.querySelector(".focus");
    if (!best) {
      tip.hidden = true;
      focus.setAttribute("cx", -20);
      return;
    }
    focus.setAttribute("cx", best.x);
    focus.setAttribute("cy", best.y);
    focus.setAttribute("stroke", best.color);
    showTip(tip, figure, event, [best.name, ...(best.point.lines || [])]);
  });
  svg.addEventListener("pointerleave", () => {
    tip.hidden = true;
  });

  // the keyboard reads what the mouse reads: a hover showed a point only to a pointer
  const keyOrder = () => [...placed].sort((a, b) => a.x - b.x || a.y - b.y);
  const pointKey = (item) => `${item.name}\n${item.point.lines?.[0] ?? ""}`;
  function showKeyed() {
    const item = keyOrder()[keyed];
    const focus = svg.querySelector(".focus");
    focus.setAttribute("cx", item.x);
    focus.setAttribute("cy", item.y);
    focus.setAttribute("stroke", item.color);
    const matrix = svg.getScreenCTM();
    const at = matrix ? new DOMPoint(item.x, item.y).matrixTransform(matrix) : { x: 0, y: 0 };
    showTip(tip, figure, { clientX: at.x, clientY: at.y }, [item.name, ...(item.point.lines || [])]);
  }
  svg.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      tip.hidden = true;
      return;
    }
    const to = steppedTo(event.key, keyed, placed.length);
    if (to === undefined) return;
    event.preventDefault();
    keyed = to;
    showKeyed();
  });
  svg.addEventListener("blur", () => {
    tip.hidden = true;
    svg.querySelector(".focus").setAttribute("cx", -20);
  });
  // the point the keys are on, kept when the page redraws the chart (dom.js, redraw)
  svg.keyboardPlace = () => (keyed < 0 || keyed >= placed.length ? null : { point: pointKey(keyOrder()[keyed]), shown: !tip.hidden });
  svg.restoreKeyboardPlace = ({ point, shown }) => {
    const at = keyOrder().findIndex((item) => pointKey(item) === point);
    if (at < 0) return;
    keyed = at;
    if (shown) showKeyed();
  };

  const legend = h(
    "div",
    { class: "plot-legend" },
    series.map((item, index) => {
      // keyed by place, not name: a series' name can say where it starts ("since
      // observation 1001"), which moves as the page draws newer data
      const button = h(
        "button",
        { type: "button", class: "legend-item", "aria-pressed": "true", title: "Show or hide", "data-focus-key": `legend ${index}: ${focusKey(options)}` },
        h("span", { class: "swatch" }),
        item.name,
      );
      button.querySelector(".swatch").style.background = item.color || PALETTE[index % PALETTE.length];
      const toggle = () => {
        keyed = -1;
        if (hidden.has(index)) hidden.delete(index);
        else hidden.add(index);
        button.setAttribute("aria-pressed", String(!hidden.has(index)));
        draw();
      };
      button.addEventListener("click", toggle);
      // a series the reader hid stays hidden when the page redraws the chart (dom.js, redraw)
      button.keptState = () => hidden.has(index);
      button.restoreKeptState = (wasHidden) => {
        if (wasHidden !== hidden.has(index)) toggle();
      };
      return button;
    }),
  );
  draw();
  figure.append(svg, legend, tip);
  return figure;
}

/** The width of a text in the page's font at `px` pixels (a canvas measures it). */
function textWidth(px, weight = "normal") {
  const context = document.createElement("canvas").getContext("2d");
  if (context) context.font = `${weight} ${px}px ${getComputedStyle(document.body).fontFamily}`;
  return (text) => (context ? context.measureText(text).width : text.length * px * 0.62);
}

/**
 * `text`, or its start and "…", of at most `chars` letters and `width` wide. Cut between
 * letters as a reader sees them (format.js graphemes()): cut between UTF-16 code units, an
 * emoji's name drew half of its emoji (a lone surrogate, a box) and a letter lost its accent.
 */
export function fitted(text, chars, width, measure) {
  const letters = graphemes(text);
  let n = Math.min(letters.length, chars);
  let out = n < letters.length ? `${letters.slice(0, n - 1).join("")}…` : text;
  while (n > 1 && measure(out) > width) {
    n -= 1;
    out = `${letters.slice(0, n - 1).join("")}…`;
  }
  return out;
}

/**
 * A tick label (a category's name, a number), left of its axis on a plate of the page's
 * ground, drawn above the lines. Every line of a category meets the axis at its name's
 * height, and the lines from the axis before arrive where a number stands: drawn on them
 * (a white halo was not enough), the label could not be read.
 */
function tickLabel(x, y, text, width, full) {
  const right = x - PLATE_GAP;
  const w = width + 2 * PLATE_PAD;
  return s(
    "g",
    { class: "pc-tick-label" },
    s("title", null, full), // the whole name, where the label is cut short
    s("rect", { x: right - w, y: y - PLATE_H / 2, width: w, height: PLATE_H, rx: 3, class: "pc-plate" }),
    s("text", { x: right - PLATE_PAD, y: y + 4, class: "tick pc-tick", "text-anchor": "end" }, text),
  );
}

/**
 * Which of `count` levels of a categorical axis `span` tall are labelled: the levels stand
 * `step` apart, and every `every`-th one (0, every, 2 * every, ...) is labelled, so that two
 * labelled levels stand at least `row` apart (a plate and a gap: no two plates meet). The
 * others are named on hover (their band's title, the read-out) and in the list of levels
 * under the chart.
 */
export function labelledLevels(count, span, row = PLATE_ROW) {
  const step = span / Math.max(1, count);
  return { step, every: Math.max(1, Math.ceil((row - 1e-9) / step)) };
}

/**
 * The line of `lines` (each its height at each axis at `xs`, undefined where it has no
 * value) that passes nearest to the point `at`, no further than `reach` from it; its index,
 * or -1. The distance is measured square to the segment between the two axes around `at`;
 * of two lines as near, the later one (drawn above) is taken.
 */
export function nearestLine(xs, lines, at, reach) {
  if (!xs.length || at.x < xs[0] - reach || at.x > xs[xs.length - 1] + reach) return -1;
  let k = 0;
  while (k < xs.length - 2 && at.x > xs[k + 1]) k += 1;
  const x0 = xs[k];
  const x1 = xs.length > 1 ? xs[k + 1] : x0;
  const t = x1 === x0 ? 0 : Math.min(1, Math.max(0, (at.x - x0) / (x1 - x0)));
  let best = -1;
  let bestDistance = reach;
  lines.forEach((ys, index) => {
    const y0 = ys[k];
    const y1 = xs.length > 1 ? ys[k + 1] : y0;
    let distance;
    if (Number.isFinite(y0) && Number.isFinite(y1)) {
      const slope = x1 === x0 ? 0 : (y1 - y0) / (x1 - x0);
      distance = Math.abs(y0 + t * (y1 - y0) - at.y) / Math.sqrt(1 + slope * slope);
    } else {
      // a line broken here (no value on one axis) is only where it meets the other axis
      const [x, y] = Number.isFinite(y0) ? [x0, y0] : [x1, y1];
      distance = Number.isFinite(y) ? Math.hypot(at.x - x, at.y - y) : Infinity;
    }
    if (distance <= bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return best;
}

/** A numeric axis `i` of parallel coordinates: its domain and ticks, both ends labelled. */
function numericAxis(rows, i) {
  return niceAxis(...extent(rows.map((r) => r.values[i])), 4);
}

/**
 * The width of parallel coordinates' drawing of `axes` axes, in the units of its text: 1000,
 * or on a narrow screen (one card a row) about the card's width (chartWidth), and
 * PC_AXIS an axis past that, as many units as the chart keeps pixels (dashboard.css). A
 * 1000-unit drawing of 5 axes shrunk to a phone's 600 pixels drew its 10 px labels at 6
 * px, and a 150-unit axis kept at 120 pixels drew them at 8 px.
 */
export function parallelWidth(axes, windowWidth) {
  return Math.max(windowWidth <= ONE_COLUMN ? chartWidth(windowWidth) : 1000, axes * PC_AXIS);
}

/**
 * Parallel coordinates: one vertical axis per dimension, one line per row,
 * coloured by `rows[i].color` (0 = worst, 1 = best); hover a line to read it.
 *
 * axes: [{name, kind: "number"|"category", categories?: [...]}]
 * rows: [{values: [...], color: 0..1, lines: [text...], key?}] (key: what the row is,
 * to keep the keyboard on it when the chart is drawn again; else its first line)
 */
export function parallelCoordinates(axes, rows, options) {
  const W = parallelWidth(axes.length, window.innerWidth);
  const M = { ...PC_MARGIN };
  // room for each category's plate, one above another, on the axis of the most levels
  const levels = Math.max(0, ...axes.map((axis) => (axis.kind === "category" ? axis.categories.length : 0)));
  const H = Math.max(PC_HEIGHT, M.top + M.bottom + Math.min(levels, LABELLED_ROWS) * PLATE_ROW);
  const figure = h("figure", { class: "plot" });
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "plot-svg",
    role: "img",
    "aria-label": `${options.label} (arrow keys read the lines one by one, the best first)`,
    "aria-description": wholeNames(options.names || []),
    "data-focus-key": `parallel coordinates: ${focusKey(options)}`,
    tabindex: 0,
  });
  const tip = h("div", { class: "plot-tip", hidden: true, role: "status" });
  const measure = textWidth(TICK_PX);
  const measureName = textWidth(AXIS_NAME_PX, "600");
  // a label and its plate fit between two axes, 12 letters at most (the gap counted with
  // the widest left margin such labels need, 150)
  const gap = axes.length < 2 ? W : (W - 150 - M.right) / (axes.length - 1);
  const labelRoom = gap - 2 * PLATE_PAD - PLATE_GAP - 12;
  const shortened = (text) => fitted(text, 12, labelRoom, measure);
  // the first axis's tick labels stand left of it: room for the widest
  const firstTicks = axes[0]?.kind === "category" ? axes[0].categories.map(String) : numericAxis(rows, 0).ticks.map(tickText);
  const widest = Math.max(0, ...firstTicks.map((text) => measure(shortened(text))));
  M.left = Math.max(M.left, Math.ceil(widest + 2 * PLATE_PAD + PLATE_GAP + 4));
  const xs = axes.map((_, i) => (axes.length === 1 ? W / 2 : M.left + (i * (W - M.left - M.right)) / (axes.length - 1)));
  const scales = axes.map((axis, i) => {
    if (axis.kind === "category") {
      const cats = axis.categories;
      const { step, every } = labelledLevels(cats.length, H - M.top - M.bottom);
      const pos = new Map(cats.map((c, k) => [String(c), H - M.bottom - step * (k + 0.5)]));
      const ticks = cats.map((c, k) => [pos.get(String(c)), String(c), k % every === 0]);
      return { y: (v) => pos.get(String(v)), ticks, step, every };
    }
    const { domain, ticks } = numericAxis(rows, i);
    const y = linear(domain[0], domain[1], H - M.bottom, M.top);
    return { y, ticks: ticks.map((v) => [y(v), tickText(v), true]) };
  });
  const lines = s("g", { class: "pc-lines" });
  const sorted = [...rows].sort((a, b) => (a.color ?? 0) - (b.color ?? 0));
  const drawn = []; // {visible, row, at: the line's first point}, the best first
  const hits = []; // {visible, row, ys: its height at each axis}, in drawing order (best last)
  for (const row of sorted) {
    const parts = [];
    let pen = "M";
    row.values.forEach((v, i) => {
      const y = v === null || v === undefined ? undefined : scales[i].y(v);
      if (y === undefined || !Number.isFinite(y)) {
        pen = "M";
        return;
      }
      parts.push(`${pen}${xs[i].toFixed(1)},${y.toFixed(1)}`);
      pen = "L";
    });
    const d = parts.join("");
    const stroke = ramp(row.color);
    const visible = s("path", { d, class: "pc-line", stroke, "data-key": row.key ?? null });
    lines.append(visible);
    hits.push({ visible, row, ys: row.values.map((v, i) => (v === null || v === undefined ? undefined : scales[i].y(v))) });
    const first = row.values.findIndex((v, i) => v !== null && v !== undefined && Number.isFinite(scales[i].y(v)));
    if (first >= 0) drawn.unshift({ visible, row, at: { x: xs[first], y: scales[first].y(row.values[first]) } });
  }
  svg.append(lines);

  // the line read out is drawn again above the others, in a drawing of its own laid over
  // the chart (.pc-overlay), so that the chart's thousands of lines are not drawn again:
  // marking one of 5,000 lines (and moving the read-out over them) repainted them all, and
  // each move of the pointer took 0.3 s
  const overlay = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "pc-overlay", "aria-hidden": "true" });
  const mark = (visible) => {
    overlay.replaceChildren(...(visible ? [s("path", { d: visible.getAttribute("d"), class: "pc-line active", stroke: visible.getAttribute("stroke") })] : []));
  };
  const unmark = () => mark(null);

  // the pointer reads the line nearest to it: one handler for the chart, not one per line
  // (a wide hit path over each line)
  let pointed = null;
  const heights = hits.map((item) => item.ys);
  const unpoint = () => {
    if (pointed) unmark();
    pointed = null;
  };
  svg.addEventListener("pointermove", (event) => {
    if (event.target.closest?.(".pc-level, .pc-tick-label")) return; // named by its own title
    const at = toViewBox(svg, event);
    const found = nearestLine(xs, heights, at, LINE_REACH);
    if (found < 0) {
      if (pointed) tip.hidden = true;
      unpoint();
      return;
    }
    if (pointed !== hits[found]) {
      pointed = hits[found];
      mark(pointed.visible);
    }
    showTip(tip, figure, event, pointed.row.lines);
  });
  svg.addEventListener("pointerleave", () => {
    if (pointed) tip.hidden = true;
    unpoint();
  });

  // the keyboard reads what the mouse reads: each line's read-out, the best line first
  let keyed = -1;
  function showKeyed() {
    const { visible, row, at } = drawn[keyed];
    mark(visible);
    const matrix = svg.getScreenCTM();
    const point = matrix ? new DOMPoint(at.x, at.y).matrixTransform(matrix) : { x: 0, y: 0 };
    showTip(tip, figure, { clientX: point.x, clientY: point.y }, row.lines);
  }
  svg.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      unmark();
      tip.hidden = true;
      return;
    }
    const to = steppedTo(event.key, keyed, drawn.length);
    if (to === undefined) return;
    event.preventDefault();
    keyed = to;
    showKeyed();
  });
  // the line the keys are on, kept when the page redraws the chart (dom.js, redraw)
  const rowKey = (row) => String(row.key ?? row.lines?.[0] ?? "");
  svg.keyboardPlace = () => (keyed < 0 || keyed >= drawn.length ? null : { line: rowKey(drawn[keyed].row), shown: !tip.hidden });
  svg.restoreKeyboardPlace = ({ line, shown }) => {
    const at = drawn.findIndex((item) => rowKey(item.row) === line);
    if (at < 0) return;
    keyed = at;
    if (shown) showKeyed();
  };
  svg.addEventListener("blur", () => {
    unmark();
    tip.hidden = true;
  });
  axes.forEach((axis, i) => {
    const group = s("g", { class: "pc-axis" });
    group.append(s("line", { x1: xs[i], x2: xs[i], y1: M.top, y2: H - M.bottom, class: "axis" }));
    // centred on its axis, within the drawing: the first and last axes' names ran past its
    // edges (a long name's start cut off by the left edge)
    const room = Math.min(gap - 8, 2 * Math.min(xs[i], W - xs[i]) - 4);
    const name = fitted(axis.name, AXIS_NAME_CHARS, room, measureName);
    group.append(s("text", { x: xs[i], y: M.top - 14, class: "axis-label", "text-anchor": "middle" }, s("title", null, axis.name), name));
    if (scales[i].every > 1) group.append(levelBands(axis.name, xs[i], scales[i], (event, lines) => showTip(tip, figure, event, lines), () => (tip.hidden = true)));
    for (const [y, text, labelled] of scales[i].ticks) {
      if (!Number.isFinite(y)) continue;
      group.append(s("line", { x1: xs[i] - 4, x2: xs[i], y1: y, y2: y, class: "axis" }));
      if (!labelled) continue;
      const label = shortened(text);
      group.append(tickLabel(xs[i], y, label, measure(label), text));
    }
    svg.append(group);
  });
  const scaleBar = h("span", { class: "ramp" });
  scaleBar.style.background = `linear-gradient(90deg, ${RAMP.join(", ")})`;
  const legend = h("div", { class: "plot-legend" }, named("span", { class: "muted" }, options.worst || "worse", 1), scaleBar, named("span", { class: "muted" }, options.best || "better", 1));
  const lists = axes.filter((axis, i) => scales[i].every > 1).map((axis) => levelList(axis, focusKey(options)));
  // each axis keeps room enough to read (dashboard.css, .pc-stack): the chart of an
  // experiment of 100 parameters was scaled down to its card, 29 pixels tall, unreadable
  const stack = h("div", { class: "pc-stack" }, svg, overlay);
  stack.style.setProperty("--axes", String(axes.length));
  figure.append(h("div", { class: "plot-scroll" }, stack), legend, ...lists, tip);
  return figure;
}

/**
 * A band over each level of a categorical axis of more levels than labels, across the axis
 * and as tall as the level: hovering it names the level (its title, and the read-out), as
 * a label would. Past LABELLED_ROWS levels an unlabelled level was read only by hovering a
 * line that passed through it.
 */
function levelBands(axisName, x, scale, show, hide) {
  const group = s("g", { class: "pc-levels" });
  for (const [y, text] of scale.ticks) {
    if (!Number.isFinite(y)) continue;
    const band = s("rect", { x: x - 6, y: y - scale.step / 2, width: 12, height: scale.step, class: "pc-level" }, s("title", null, text));
    band.addEventListener("pointermove", (event) => show(event, [axisName, text]));
    band.addEventListener("pointerleave", hide);
    group.append(band);
  }
  return group;
}

/**
 * Every level of a categorical axis that labels only some of them, in order from the
 * bottom of the axis up, in a list the keyboard and a screen reader reach (a hover band is
 * for a pointer only); kept open when the page draws the chart again.
 */
function levelList(axis, label) {
  // the key on the summary, which the keyboard focuses
  const summary = h("summary", { "data-focus-key": `levels of ${axis.name}: ${label}` }, `All ${count(axis.categories.length)} levels of ${isolated(axis.name)} (the axis names every few)`);
  const details = h("details", { class: "pc-level-list" }, summary, h("ol", null, axis.categories.map((c) => h("li", null, String(c)))));
  summary.keptState = () => details.open;
  summary.restoreKeptState = (open) => {
    details.open = open;
  };
  return details;
}
