// Building DOM nodes without HTML strings: every text goes in as a text node,
// so names holding any Unicode (or "<script>") are shown, never interpreted.

const SVG_NS = "http://www.w3.org/2000/svg";

function put(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

// the marks format.js's isolated() sets a name apart with (first-strong isolate, its end)
const FSI = "\u2068";
const PDI = "\u2069";

/**
 * A text as nodes of the page: each name set apart by isolated() (U+2068 ... U+2069) is a
 * <bdi> element of its own (the browser isolates it as the marks did: its direction from
 * its first strong letter, the text around it kept in its order), the marks left out. The
 * marks written as characters were copied with the text: a table pasted into a spreadsheet
 * had invisible characters around every metric's name. An end without a start stays text;
 * a start without an end sets apart the rest of the text, as the marks did. Attributes (a
 * title, an aria-label) and a chart's SVG text keep the marks: nothing copies them.
 */
function textNodes(text) {
  if (!text.includes(FSI)) return document.createTextNode(text);
  const fragment = document.createDocumentFragment();
  const open = [fragment];
  let start = 0;
  const flush = (end) => {
    if (end > start) open[open.length - 1].append(text.slice(start, end));
    start = end + 1;
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] === FSI) {
      flush(i);
      const bdi = document.createElement("bdi");
      open[open.length - 1].append(bdi);
      open.push(bdi);
    } else if (text[i] === PDI && open.length > 1) {
      flush(i);
      open.pop();
    }
  }
  flush(text.length);
  return fragment;
}

function append(el, children) {
  const html = !(el instanceof SVGElement);
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    if (child instanceof Node) el.append(child);
    else el.append(html ? textNodes(String(child)) : document.createTextNode(String(child)));
  }
  return el;
}

/** An HTML element: h("a", {href: "#/"}, "text", otherNode). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  put(el, props);
  return append(el, children);
}

/** An SVG element, same form as h(). */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  put(el, props);
  return append(el, children);
}

/** Replace every child of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Replace every child of `root` with `children`, as a page does when it draws new data,
 * keeping the window's scroll, what the reader set and the keyboard's place. Every element
 * with a `data-focus-key` that tells its state (`keptState`: a legend button, its series
 * hidden) hands it to the element of the same key in the new content
 * (`restoreKeptState`). When the focused element has a `data-focus-key`, the element of
 * the same key in the new content is focused, and told (`restoreKeyboardPlace`) where the
 * old one was (`keyboardPlace`: a chart's point). A page that polls redrew itself under a
 * keyboard user, whose focus fell back to the page and whose next Tab started again from
 * its top, and showed again every series the reader had hidden.
 */
export function redraw(root, ...children) {
  const scroll = window.scrollY;
  const active = document.activeElement;
  const key = active && active !== root && root.contains(active) ? active.getAttribute("data-focus-key") : null;
  const place = key !== null && typeof active.keyboardPlace === "function" ? active.keyboardPlace() : null;
  const kept = new Map();
  for (const el of root.querySelectorAll("[data-focus-key]")) {
    if (typeof el.keptState === "function") kept.set(el.getAttribute("data-focus-key"), el.keptState());
  }
  fill(root, ...children);
  const keyed = Array.from(root.querySelectorAll("[data-focus-key]"));
  for (const el of keyed) {
    const k = el.getAttribute("data-focus-key");
    if (kept.has(k) && typeof el.restoreKeptState === "function") el.restoreKeptState(kept.get(k));
  }
  window.scrollTo(0, scroll);
  if (key === null) return;
  const next = keyed.find((el) => el.getAttribute("data-focus-key") === key);
  if (!next) return;
  next.focus({ preventScroll: true });
  if (place !== null && typeof next.restoreKeyboardPlace === "function") next.restoreKeyboardPlace(place);
}

/**
 * A name shown in at most a few lines (`.clamped`, dashboard.css), its whole text in the
 * title (hover). A name may be as long as the API takes (500 characters): drawn whole, one
 * filled a phone's screen, and a metric's name stretched every card of a row to its
 * height. Lines, not characters: a short name is never cut.
 */
export function named(tag, props, text, lines = 2) {
  const el = h(tag, { ...props, title: String(text) }, text);
  el.classList.add("clamped");
  el.style.setProperty("--lines", String(lines));
  return el;
}

// a figure in a text: a number with its sign, separators and exponent (-1,234.5e-7), or a
// name set apart (isolated: U+2068 ... U+2069), which is left as it is
const FIGURE = /(\u2068[^\u2069]*\u2069)|([-+\u2212]?\d[\d.,]*(?:e[-+]?\d+)?)/g;
// a run of digits this long is not a figure a person reads (a name's digits): it may wrap
const FIGURE_CHARS = 24;

/** Whether a cell is a figure alone (a number, or a number's text: "-1.23456e-4"). */
function isFigure(cell) {
  if (typeof cell === "number") return true;
  if (typeof cell !== "string" || cell.length > FIGURE_CHARS) return false;
  const match = cell.match(FIGURE);
  return match !== null && match.length === 1 && match[0] === cell && !cell.startsWith("\u2068");
}

/** `text` as its parts, each figure in a `.figure` span (dashboard.css: never broken). */
function figureParts(text) {
  const parts = [];
  let at = 0;
  for (const match of text.matchAll(FIGURE)) {
    if (match[2] === undefined || match[2].length > FIGURE_CHARS) continue;
    if (match.index > at) parts.push(text.slice(at, match.index));
    parts.push(h("span", { class: "figure" }, match[2]));
    at = match.index + match[2].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

/** The characters of the longest figure in `text` (0 when it has none). */
function longestFigure(text) {
  let longest = 0;
  for (const match of text.matchAll(FIGURE)) {
    if (match[2] !== undefined && match[2].length <= FIGURE_CHARS) longest = Math.max(longest, match[2].length);
  }
  return longest;
}

/**
 * The cards of a page's facts (`facts`: [label, value] pairs, a value a text or a node):
 * a text is cut to 3 lines (named), each figure in it kept on one line. A card wrapped its
 * text anywhere, so that a phone's "Generations left 2,147,483,647 or more" broke the
 * number across two lines; a card now wraps between words. The cards are columns of one
 * width, each as wide as the longest figure of them all at least (`--figure-chars`,
 * dashboard.css, .stats), one a row where the screen has no room for two: a card whose
 * figure took a row of its own made the cards of a row as wide as that row allowed.
 */
export function stats(facts) {
  const chars = Math.max(0, ...facts.map(([, value]) => longestFigure(typeof value === "string" ? value : (value?.textContent ?? ""))));
  // a custom property through the CSSOM: the Content-Security-Policy refuses a style attribute
  const list = h(
    "dl",
    { class: "stats" },
    facts.map(([label, value]) => {
      if (typeof value !== "string") return h("div", null, h("dt", null, label), h("dd", null, value));
      const dd = named("dd", null, value, 3);
      dd.replaceChildren();
      return h("div", null, h("dt", null, label), append(dd, figureParts(value)));
    }),
  );
  list.style.setProperty("--figure-chars", String(chars));
  return list;
}

/**
 * A long text (a campaign's description: the API takes thousands of characters) cut to
 * `lines` lines, whole in its title and behind a "Show all" button, which shows only when
 * the text is cut (a phone cuts more than a desktop). Drawn whole, a description pushed the
 * rest of the page a few screens down. The button keeps its choice when the page redraws
 * (dom.js, redraw); `key` tells it apart.
 */
export function expandable(tag, props, text, lines, key) {
  const el = named(tag, props, text, lines);
  const button = h("button", { type: "button", class: "secondary small expand", hidden: true, "aria-expanded": "false", "data-focus-key": key }, "Show all");
  const isOpen = () => button.getAttribute("aria-expanded") === "true";
  const fits = () => {
    button.hidden = !isOpen() && el.scrollHeight <= el.clientHeight + 1;
  };
  const set = (open) => {
    el.classList.toggle("clamped", !open);
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Show less" : "Show all";
    fits();
  };
  button.addEventListener("click", () => set(!isOpen()));
  button.keptState = isOpen;
  button.restoreKeptState = set;
  new ResizeObserver(fits).observe(el);
  return h("div", { class: "expandable" }, el, button);
}

/**
 * The attributes of a page's heading (its h1): the router moves the keyboard's focus to it
 * when a link leads to a new page (app.js, route), so a screen reader says where the reader
 * is, and a redraw of the page keeps it there (redraw, by its `data-focus-key`). After a
 * link inside a page, focus fell to <body>, and a screen reader said nothing of the page.
 */
export const PAGE_HEADING = Object.freeze({ tabindex: "-1", "data-focus-key": "page heading" });

/** A card: a titled section of a page. */
export function card(title, ...children) {
  return h("section", { class: "card" }, title ? named("h2", null, title) : null, ...children);
}

/**
 * The most columns a table prints as a grid (dashboard.css, @media print): past them, each
 * row prints as a block of "column: value" pairs, wrapped at the page's width. A design of
 * 500 columns printed its first few and cut the rest at the page's edge; squeezed into
 * the page, 500 columns would be a letter wide each.
 */
export const PRINTED_COLUMNS = 8;

/**
 * A table from column names and rows of cells (text or nodes); scrolls sideways.
 * options: label (aria-label), numeric(j) (right-aligned column), stack (on a narrow
 * screen each row becomes a card of "column: value" lines). A table of more than
 * PRINTED_COLUMNS columns is `wide`: printed a row a block. A cell that is a figure alone
 * is a `figure`: never broken on paper (a printed design of 8 columns read "-1.23456" on
 * one line and "e-4" on the next).
 */
export function table(columns, rows, options = {}) {
  const head = h("tr", null, columns.map((c) => h("th", { scope: "col" }, c)));
  const body = rows.map((row) =>
    h(
      "tr",
      null,
      row.map((cell, j) => {
        const kinds = [typeof cell === "number" || options.numeric?.(j) ? "num" : null, isFigure(cell) ? "figure" : null];
        return h("td", { class: kinds.filter(Boolean).join(" ") || null, "data-label": columns[j] }, cell);
      }),
    ),
  );
  return h(
    "div",
    { class: ["table-wrap", options.stack ? "stack" : null, columns.length > PRINTED_COLUMNS ? "wide" : null].filter(Boolean).join(" ") },
    h("table", options.label ? { "aria-label": options.label } : null, h("thead", null, head), h("tbody", null, body)),
  );
}

/** A status pill: "active", "completed", "running"... */
export function badge(status) {
  return h("span", { class: `badge badge-${String(status).replace(/[^a-z_]/g, "")}` }, status);
}

/** A short message shown in place of content (empty lists, refusals). */
export function notice(text, kind = "muted") {
  return h("p", { class: `notice ${kind}` }, text);
}

/** A page's notice that it could not read what it shows again (`what`: "Could not
 * refresh"...), for a reason that may pass, and when what it shows was read (`readAt`, a
 * Date, or null before any read). */
export function staleNotice(what, error, readAt) {
  const since = readAt ? `: what is shown was read at ${readAt.toLocaleTimeString()}` : "";
  return notice(`${what} (${error.message})${since}; trying again in a few seconds.`, "error");
}

/** Fills `root` with the page of one `noun` ("experiment", "campaign") that cannot be
 * shown, for good (`error`: see isFinal): a crumb back to its list (`back`: its href
 * and label), "<Noun> not available" as the page's title and heading, and why (a 404:
 * there is none with this id that the person can see). */
export function unavailable(root, page, noun, back, error) {
  const title = `${noun[0].toUpperCase()}${noun.slice(1)} not available`;
  const text = error.status === 404 ? `There is no ${noun} with this id that you can see.` : error.message;
  page.setTitle(title);
  root.replaceChildren(h("div", { class: "crumbs" }, h("a", { href: back[0] }, back[1])), h("h1", PAGE_HEADING, title), notice(text, "error"));
  root.dataset.refused = String(error.status);
}
