// One SigOpt experiment: its observation history (or the Pareto front of two
// metrics), the best assignments, parameters against the metric in parallel
// coordinates, and the open suggestions.

import { experimentPath, isFinal } from "./api.js";
import { PAGE_HEADING, badge, card, h, named, notice, redraw, staleNotice, stats, table, unavailable } from "./dom.js";
import { cell, count, isolated, num, spoken, when } from "./format.js";
import { chart, PALETTE, parallelCoordinates } from "./plots.js";
import { assignmentsText, maximizes, metricValue, optimizedMetrics, valuesText } from "./sigopt.js";

const TABLE_ROWS = 100;
// the page looks for new observations and suggestions this often (as a campaign's page
// looks for new tasks), and after an answer that may pass (a 429, no connection) loads
// again at the next look
const POLL_MS = 3000;
// observations read for the plots: the latest ones past it
const MAX_OBSERVATIONS = 5000;
// open suggestions read for their table (the newest; the card's title counts them all)
const OPEN_ROWS = 100;

/**
 * The history of one metric. `first` is the number of the first observation given (the
 * latest MAX_OBSERVATIONS are read: the 6,000th was drawn as the 5,000th, and the
 * best so far started with the 1,001st as if it were the first).
 */
function historyChart(metric, observations, single, first = 1) {
  const name = metric.name ?? "value";
  const points = [];
  const best = [];
  let running = null;
  observations.forEach((o, i) => {
    const value = o.failed ? null : metricValue(o, metric.name, single);
    if (typeof value !== "number") return;
    running = running === null ? value : maximizes(metric) ? Math.max(running, value) : Math.min(running, value);
    const n = first + i;
    const lines = [`observation ${count(n)} (id ${o.id})`, `${isolated(name)} ${num(value)}`, assignmentsText(o.assignments)];
    points.push({ x: n, y: value, lines });
    const after = first === 1 ? `after ${count(n)} observations` : `observations ${count(first)} to ${count(n)}`;
    best.push({ x: n, y: running, lines: [after, `best ${isolated(name)} ${num(running)}`] });
  });
  if (!points.length) return notice(metric.name ? `No ${isolated(name)} values yet.` : "No values yet.");
  const since = first === 1 ? "" : ` since observation ${count(first)}`;
  return chart(
    [
      { name: "observations", points, color: PALETTE[2], radius: 3.2 },
      { name: `best so far${since} (${maximizes(metric) ? "max" : "min"})`, points: best, line: true, markers: false, color: PALETTE[0] },
    ],
    { label: `Observation history of ${spoken(name)}`, names: [name], xLabel: "observation", yLabel: name, integerX: true },
  );
}

function paretoChart(metrics, observations, bestAssignments) {
  const [a, b] = metrics;
  const nameA = a.name ?? "value";
  const nameB = b.name ?? "value";
  const points = observations
    .filter((o) => !o.failed)
    .map((o) => ({ o, x: metricValue(o, a.name), y: metricValue(o, b.name) }))
    .filter((p) => typeof p.x === "number" && typeof p.y === "number")
    .map(({ o, x, y }) => ({ x, y, lines: [`observation ${o.id}`, `${isolated(nameA)} ${num(x)}, ${isolated(nameB)} ${num(y)}`, assignmentsText(o.assignments)] }));
  const front = bestAssignments
    .map((ba) => ({ x: metricValue(ba, a.name), y: metricValue(ba, b.name), ba }))
    .filter((p) => typeof p.x === "number" && typeof p.y === "number")
    .sort((p, q) => p.x - q.x)
    .map(({ x, y, ba }) => ({ x, y, lines: [`Pareto-optimal (id ${ba.id})`, `${isolated(nameA)} ${num(x)}, ${isolated(nameB)} ${num(y)}`, assignmentsText(ba.assignments)] }));
  if (!points.length) return notice("No observations with both metrics yet.");
  return chart(
    [
      { name: "observations", points, color: PALETTE[5], radius: 3.2 },
      { name: "Pareto front (best assignments)", points: front, line: true, color: PALETTE[1], radius: 4.5 },
    ],
    { label: `Pareto front of ${spoken(nameA)} and ${spoken(nameB)}`, names: [nameA, nameB], xLabel: `${isolated(nameA)} (${maximizes(a) ? "max" : "min"})`, yLabel: `${isolated(nameB)} (${maximizes(b) ? "max" : "min"})` },
  );
}

function parallelView(experiment, observations, metric, single) {
  const usable = observations.filter((o) => !o.failed && typeof metricValue(o, metric.name, single) === "number");
  if (usable.length < 2) return notice("Appears after two observations.");
  const axes = experiment.parameters.map((p) =>
    p.type === "categorical"
      ? { name: p.name, kind: "category", categories: (p.categorical_values || []).map((c) => (typeof c === "string" ? c : c.name)) }
      : { name: p.name, kind: "number" },
  );
  const metrics = optimizedMetrics(experiment);
  for (const m of metrics) axes.push({ name: m.name ?? "value", kind: "number" });
  // colour by rank, so that one outlier does not paint every other line the same
  const sorted = usable.map((o) => metricValue(o, metric.name, single)).sort((a, b) => a - b);
  const rankOf = (v) => (sorted.length === 1 ? 1 : sorted.indexOf(v) / (sorted.length - 1));
  const rows = usable.map((o) => {
    const t = rankOf(metricValue(o, metric.name, single));
    return {
      key: o.id,
      values: [...experiment.parameters.map((p) => o.assignments?.[p.name] ?? null), ...metrics.map((m) => metricValue(o, m.name, single))],
      color: maximizes(metric) ? t : 1 - t,
      lines: [`observation ${o.id}: ${valuesText(o)}`, ...Object.entries(o.assignments || {}).slice(0, 8).map(([k, x]) => `${isolated(k)} = ${isolated(cell(x))}`)],
    };
  });
  const name = metric.name ?? "value";
  return parallelCoordinates(axes, rows, { label: `Parameters against ${spoken(name)}`, names: [name], worst: `worse ${isolated(name)}`, best: `better ${isolated(name)}` });
}

function assignmentsTable(experiment, items, label, extra) {
  const names = experiment.parameters.map((p) => p.name);
  return table(
    [...extra.map((e) => e[0]), ...names],
    items.slice(0, TABLE_ROWS).map((item) => [...extra.map((e) => e[1](item)), ...names.map((n) => cell(item.assignments?.[n] ?? null))]),
    { label },
  );
}

/** One SigOpt experiment's page. */
export function experimentView(page, eid) {
  const root = h("div", { class: "page" }, h("p", { class: "muted" }, "Loading…"));
  const trouble = h("div", { class: "page-trouble", role: "status" });
  // seen: what the last read was read at (see changeKey); shown: what the page was last
  // drawn from (the same data again draws nothing); held: what the last read gave (see
  // readAll); failed: the last load did not finish for a reason that may pass (see isFinal)
  // readAt: when the page was last read (said when a later read fails)
  const state = { loading: false, again: false, gone: false, seen: "", shown: "", held: null, failed: false, readAt: null };
  let timer = null;
  const onVisibility = () => {
    if (!document.hidden) poll();
  };
  document.addEventListener("visibilitychange", onVisibility);
  page.onDispose(() => {
    state.gone = true;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  });

  // what changes when an observation or a suggestion is made, updated or deleted (the
  // latest and the best observation are the ones whose update the experiment shows)
  const changeKey = (experiment, open) => {
    const progress = experiment.progress || {};
    const last = progress.last_observation;
    const top = progress.best_observation;
    return JSON.stringify([experiment.updated, experiment.state, progress.observation_count, last?.id, last?.updated, top?.id, top?.updated, open.count, open.data[0]?.id]);
  };
  const observationsPath = experimentPath(eid, "observations");
  const suggestionsPath = experimentPath(eid, "suggestions");
  const readOpen = () => page.api.get(suggestionsPath, { state: "open", limit: OPEN_ROWS });

  // everything: the experiment, its latest observations (newest first), best assignments
  // and open suggestions
  async function readAll() {
    const experiment = await page.api.get(experimentPath(eid));
    const [observations, best, open] = await Promise.all([
      page.api.all(observationsPath, {}, MAX_OBSERVATIONS),
      page.api.get(experimentPath(eid, "best_assignments")),
      readOpen(),
    ]);
    return { experiment, observations, best, open };
  }

  // what a look found changed, reading only what was made since `held` (the API's `after`
  // cursor: the observations after the newest one held, the open suggestions after the
  // newest open one); null when the change was more than additions (an observation
  // deleted or updated, the experiment edited), which reads everything again. Every 3 s a
  // page of 5,000 observations read all of them whenever one was added.
  async function readNew(held, experiment, peek) {
    const before = held.experiment;
    if (experiment.updated !== before.updated || experiment.state !== before.state) return null;
    const newest = held.observations[0]?.id;
    const [fresh, best] = await Promise.all([
      newest === undefined ? page.api.all(observationsPath, {}, MAX_OBSERVATIONS) : page.api.since(observationsPath, newest, {}, MAX_OBSERVATIONS),
      page.api.get(experimentPath(eid, "best_assignments")),
    ]);
    const stored = experiment.progress?.observation_count;
    if (typeof stored !== "number" || stored !== (before.progress?.observation_count ?? 0) + fresh.length) return null;
    const observations = [...fresh, ...held.observations].slice(0, MAX_OBSERVATIONS);
    // the latest and the best observation as the experiment shows them: one held that
    // differs was updated since it was read
    const byId = new Map(observations.map((o) => [o.id, o]));
    const last = experiment.progress?.last_observation;
    if ((last?.id ?? undefined) !== observations[0]?.id) return null;
    for (const shown of [last, experiment.progress?.best_observation]) {
      if (shown && byId.has(shown.id) && JSON.stringify(byId.get(shown.id)) !== JSON.stringify(shown)) return null;
    }
    return { experiment, observations, best, open: await openAfter(held.open, peek, fresh) };
  }

  // the open suggestions: those held but not closed by the new observations, and the
  // ones made after the newest held; read again (one page) when they do not add up to
  // the count (one deleted, or more than the table shows)
  async function openAfter(held, peek, fresh) {
    if (peek.count > OPEN_ROWS || held.count > OPEN_ROWS) return readOpen();
    const newest = held.data[0]?.id;
    const changed = peek.data[0]?.id !== newest;
    let added = [];
    if (changed && peek.count > 0) {
      added = newest === undefined ? (await readOpen()).data : await page.api.since(suggestionsPath, newest, { state: "open" }, OPEN_ROWS);
    }
    const closed = new Set(fresh.map((o) => o.suggestion).filter((id) => id !== null && id !== undefined));
    const data = [...added, ...held.data.filter((s) => !closed.has(s.id))];
    if (data.length !== peek.count || (data[0]?.id ?? undefined) !== peek.data[0]?.id) return readOpen();
    return { ...peek, data };
  }

  function draw({ experiment, observations, best, open }) {
    const drawnFrom = JSON.stringify([experiment, observations, best, open]);
    if (drawnFrom === state.shown) return;
    state.shown = drawnFrom;
    page.setTitle(experiment.name);
    const chronological = [...observations].reverse();
    const total = Math.max(experiment.progress?.observation_count ?? 0, observations.length);
    const first = total - observations.length + 1;
    const partial =
      first > 1
        ? notice(`The latest ${count(observations.length)} of ${count(total)} observations are drawn, from observation ${count(first)} on.`)
        : null;
    const metrics = optimizedMetrics(experiment);
    const single = (experiment.metrics || []).length <= 1;
    const observed = experiment.progress?.observation_count ?? observations.length;
    const budget = experiment.observation_budget;
    const failed = observations.filter((o) => o.failed).length;
    const facts = [
      ["State", badge(experiment.state)],
      ["Observations", budget ? `${count(observed)} of ${count(budget)}` : count(observed)],
      ["Failed", first > 1 ? `${count(failed)} in the latest ${count(observations.length)}` : count(failed)],
      ["Metrics", metrics.map((m) => `${isolated(m.name ?? "value")} (${maximizes(m) ? "maximize" : "minimize"})`).join(", ") || "—"],
      ["Parameters", count(experiment.parameters.length)],
      ["Created", when(experiment.created)],
    ];
    const budgetBar = budget ? h("progress", { max: budget, value: Math.min(observed, budget), class: "budget", "aria-label": "Observation budget used" }) : null;
    const plots =
      metrics.length === 2
        ? [card("Pareto front", paretoChart(metrics, chronological, best.data), partial)]
        : metrics.slice(0, 4).map((m) => card(`Observation history · ${isolated(m.name ?? "value")}`, historyChart(m, chronological, single, first), partial));
    const bestExtra = [["Values", (item) => valuesText(item)]];
    const bestCard = card(
      metrics.length === 2 ? "Best assignments · the Pareto front" : "Best assignments",
      best.data.length ? assignmentsTable(experiment, best.data, "Best assignments", bestExtra) : notice("None yet."),
    );
    redraw(
      root,
      trouble,
      h(
        "div",
        { class: "page-head" },
        h("div", { class: "crumbs" }, h("a", { href: "#/experiments" }, "SigOpt experiments"), " / ", h("span", null, `#${experiment.id}`)),
        named("h1", { ...PAGE_HEADING, id: "experiment-name" }, experiment.name, 3),
        stats(facts),
        budgetBar,
      ),
      h("div", { class: "grid-2" }, plots, bestCard),
      card(`Parameters against ${metrics[0] ? isolated(metrics[0].name ?? "value") : "the metric"}`, parallelView(experiment, chronological, metrics[0] || { name: null }, single)),
      card(
        `Open suggestions (${count(open.count)})`,
        open.data.length
          ? assignmentsTable(experiment, open.data, "Open suggestions", [
              ["Suggestion", (s) => s.id],
              ["Created", (s) => when(s.created)],
            ])
          : notice("No open suggestions."),
      ),
      card(
        `Observations (${count(observed)})`,
        observations.length
          ? assignmentsTable(experiment, observations, "Observations", [
              ["Id", (o) => o.id],
              ["Values", (o) => valuesText(o)],
              ["Created", (o) => when(o.created)],
            ])
          : notice("No observations yet."),
        total > TABLE_ROWS ? notice(`The latest ${count(TABLE_ROWS)} of ${count(total)} shown.`) : null,
      ),
    );
  }

  // `look`: what a poll found changed ({experiment, open}); without it, read everything
  async function load(look = null) {
    if (state.loading) {
      state.again = true;
      return;
    }
    state.loading = true;
    try {
      const read = (look && state.held && (await readNew(state.held, look.experiment, look.open))) || (await readAll());
      if (state.gone) return;
      state.failed = false;
      state.readAt = new Date();
      trouble.replaceChildren();
      state.held = read;
      state.seen = changeKey(read.experiment, read.open);
      draw(read);
    } catch (error) {
      if (state.gone) return;
      if (!isFinal(error)) {
        // a 429 or a lost connection was "Experiment not available" for good; the page
        // keeps what it shows and loads again at the next look
        stale(error);
        if (!state.shown) root.replaceChildren(trouble);
        return;
      }
      clearInterval(timer);
      unavailable(root, page, "experiment", ["#/experiments", "SigOpt experiments"], error);
    } finally {
      state.loading = false;
      if (state.again && !state.gone) {
        state.again = false;
        load();
      }
    }
  }

  // new observations and suggestions, made by scripts while the page is open: a look at
  // the experiment and its newest open suggestion, and a read of what is new only when
  // they changed
  /** Says the page could not be read (may pass: see isFinal), and since when what it
   * shows is as read; the next tick loads it all again. */
  function stale(error) {
    state.failed = true;
    const what = state.shown ? "Could not refresh" : "Could not load the experiment";
    trouble.replaceChildren(staleNotice(what, error, state.readAt));
  }

  async function poll() {
    if (document.hidden || state.loading || state.gone) return;
    if (state.failed) {
      load();
      return;
    }
    try {
      const [experiment, open] = await Promise.all([page.api.get(experimentPath(eid)), page.api.get(suggestionsPath, { state: "open", limit: 1 })]);
      if (changeKey(experiment, open) !== state.seen) load({ experiment, open });
    } catch (error) {
      if (state.gone) return;
      // a failed look said nothing: a page of a stopped service showed what it had read
      // as if it were current. Now it says so at once, and the next tick loads it all
      // again (a refusal, say a 404: load says it)
      // a 401: the app shows the sign-in form, saying why (a load here asked again,
      // and its own 401s drew the form a second time, without the reason)
      if (error.status === 401) return;
      if (isFinal(error)) load();
      else stale(error);
    }
  }

  timer = setInterval(poll, POLL_MS);
  load();
  return root;
}
