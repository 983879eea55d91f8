// Numbers, times and downloads: the small formatting rules of the pages.

/**
 * A measured value: up to `digits` significant digits (4 by default), the zeros a
 * rounded value ends with dropped ("1e+300", not "1.000e+300"; "2.5e-7"), as the command
 * line's `{:.6g}` and the charts' tick labels show numbers; "—" when missing.
 */
export function num(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) {
    return value.toExponential(digits - 1).replace(/\.?0+(?=e)/, "");
  }
  return String(Number(value.toPrecision(digits)));
}

/**
 * A number as num() writes it, the digits before its point grouped by thousands ("12,500",
 * "-1,250.5") as count() groups a count's; a number in exponent notation ("1.5e+6") as it
 * is. The charts' tick labels read "5000" beside counts that read "5,000".
 */
export function grouped(text) {
  return text.replace(/^(-?)(\d{4,})/, (_, sign, digits) => sign + digits.replace(/\B(?=(\d{3})+$)/g, ","));
}

/**
 * A name set apart from the text around it (Unicode's first-strong isolate, U+2068, and
 * its end, U+2069), where it is written into a longer line: a name holding a right-to-left
 * override (U+202E) or Arabic or Hebrew letters reordered the rest of its line ("c = 1, d = 2"
 * read "c = 2 = d ,1"). Alone in its element a name needs none: an element that is a
 * block ends the reordering. Written into the page (dom.js h()), each name so set apart
 * becomes a <bdi> element and the marks are left out, so that copied text has none.
 */
export function isolated(name) {
  return `\u2068${name}\u2069`;
}

/**
 * The characters (letters as a reader sees them: an emoji, a letter and its accents) of a
 * name a chart's accessible name speaks: a screen reader read a metric's name of 500
 * characters whole before it said what the chart was, at every visit.
 */
export const SPOKEN_NAME_CHARS = 60;

/** The letters of `text` as a reader sees them (grapheme clusters): an emoji, a flag, a
 * letter and its combining accents are one each, never split. */
export function graphemes(text) {
  return Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(String(text)), (part) => part.segment);
}

/** `text` cut to `chars` whole letters, the last one "…" where it is cut. */
export function cut(text, chars) {
  const letters = graphemes(text);
  return letters.length <= chars ? String(text) : `${letters.slice(0, chars - 1).join("")}…`;
}

/**
 * A name as an accessible name (aria-label) speaks it: cut to SPOKEN_NAME_CHARS letters and
 * set apart (isolated). The marks are not spoken (Unicode's default-ignorable characters)
 * but a braille display and a screen reader's text view show the label as text, where a
 * name's right-to-left override turned the rest of it around, as on the page.
 */
export function spoken(name) {
  return isolated(cut(name, SPOKEN_NAME_CHARS));
}

/** The accessible description of a chart whose accessible name cut some of `names`: each
 * whole, set apart; null when none was cut. */
export function wholeNames(names) {
  if (!names.some((name) => graphemes(name).length > SPOKEN_NAME_CHARS)) return null;
  return `${names.length === 1 ? "Whole name" : "Whole names"}: ${names.map(isolated).join(", ")}`;
}

/** A parameter value, or a value in a table: an integer whole, any other number to 6
 * significant digits, as the command line shows them (a design's CSV download has every
 * digit). An integer parameter's value of 123456789 read "1.23457e+8": a suggestion's
 * assignment, to be run as shown, was another experiment. */
export function cell(value) {
  if (Number.isSafeInteger(value)) return String(value);
  return typeof value === "number" ? num(value, 6) : value === null ? "—" : String(value);
}

/** "3 min ago", with the full date as a tooltip (unix seconds in). */
export function when(seconds) {
  if (!seconds) return "—";
  const date = new Date(seconds * 1000);
  const ago = Math.max(0, Date.now() / 1000 - seconds);
  let text;
  if (ago < 60) text = "just now";
  else if (ago < 3600) text = `${Math.floor(ago / 60)} min ago`;
  else if (ago < 86400) text = `${Math.floor(ago / 3600)} h ago`;
  else text = date.toLocaleDateString();
  const el = document.createElement("time");
  el.dateTime = date.toISOString();
  el.title = date.toLocaleString();
  el.textContent = text;
  return el;
}

/** Offer a file (a Blob, or text) as a download. */
export function download(filename, file, type = "text/csv") {
  const url = URL.createObjectURL(file instanceof Blob ? file : new Blob([file], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** A file name made safe from any session name. */
export function fileStem(name) {
  const stem = String(name).normalize("NFKC").replace(/[^\p{L}\p{N}._-]+/gu, "-").replace(/^-+|-+$/g, "");
  return stem.slice(0, 80) || "session";
}

/**
 * The largest `remaining` a session holds (2**31 - 1, the service's MAX_REMAINING: an INTEGER
 * column). A space too large for it reports this, a lower bound: "Generations left
 * 2147483647" read as an exact count.
 */
export const MAX_REMAINING = 2147483647;

/**
 * A count (experiments, observations, rows, a population) with its thousands separators,
 * "2,500", as every count of the dashboard is shown; "—" when missing. A generation's
 * summary and the Population card read "2500" beside cards that read "2,147,483,647". A
 * parameter's or a response's value is not a count: cell() and num() show it.
 */
export function count(value) {
  if (value === null || value === undefined) return "—";
  return Number(value).toLocaleString("en-US");
}

/**
 * An id as a page shows it (a task's "#1,234"): its digits with thousands separators, as
 * count() shows a count (as BigInt: an id past 2**53 keeps every digit); any other id as
 * it is. A task's "#12345" stood beside counts that read "12,345". The id in a link, an
 * address or a data attribute stays as the API writes it.
 */
export function shownId(id) {
  const text = String(id);
  return /^[0-9]+$/.test(text) ? BigInt(text).toLocaleString("en-US") : text;
}

/** A session's generations left: "—" before a space, "2,147,483,647 or more" at the cap. */
export function generationsLeft(remaining) {
  if (remaining === null || remaining === undefined) return "—";
  return remaining >= MAX_REMAINING ? `${count(remaining)} or more` : count(remaining);
}
