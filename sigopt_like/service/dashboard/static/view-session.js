// One campaign: its progress by generation, the recommended experiment, the
// latest design (CSV download), every generation's experiments, the analytics
// files, and its tasks with live progress from the task event stream.

import { isFinal, sessionPath } from "./api.js";
import { PAGE_HEADING, badge, card, expandable, h, named, notice, redraw, staleNotice, stats, table, unavailable } from "./dom.js";
import { cell, count, download, fileStem, generationsLeft, isolated, num, shownId, when } from "./format.js";
import { chart, finiteRange, PALETTE } from "./plots.js";

const POLL_MS = 3000;
const FINISHED = new Set(["success", "failed", "canceled"]);
const MAX_TABLE_ROWS = 500;
// markers drawn in "All responses by generation"; past it, a sample (each an SVG node:
// 100,000 of them made the page take seconds to draw and to answer the mouse)
const MAX_SCATTER = 5000;
// the tasks card shows statuses, progress and errors, never results: a simulate task's
// result is the whole history (4.9 MB for 20 tasks of a large campaign), every 3 s
const TASK_LISTING = { limit: 20, result: "omit" };

// a task that ended without finishing: its bar stays where it stopped, and says so
const STOPPED = new Set(["failed", "canceled"]);

/**
 * How a task's bar reads: its fraction, the text beside it and the line under it. A
 * failed or canceled task's bar stood at, say, 58% beside its badge as if it were still
 * on its way; it now reads "stopped at 58%", styled as the status, with the reason.
 */
function taskProgress(task) {
  const fraction = task.progress.fraction;
  const percent = `${Math.round(fraction * 100)}%`;
  const message = task.progress.message || task.phase;
  if (!STOPPED.has(task.status)) {
    return { fraction, percent, message, label: `Task ${shownId(task.id)} progress`, stopped: null };
  }
  const reason = (task.errors || [])[0]?.message || message;
  const how = task.status === "failed" ? "Failed" : "Canceled";
  return {
    fraction,
    percent: `stopped at ${percent}`,
    message: `${how} at ${percent}: ${reason}`,
    label: `Task ${shownId(task.id)} stopped at ${percent} (${task.status})`,
    stopped: task.status,
  };
}

/**
 * What the page's one live region (aria-live="polite") says of a task: its number, kind,
 * status and progress in tenths ("Task #12 simulate running, 40%: generation 3"), so that a
 * screen reader hears a task move and end without a word a second. A task's bar and badge
 * changed in silence: a reader heard nothing until they went looking.
 */
function taskSaid(task) {
  const p = taskProgress(task);
  const tenths = `${Math.floor(task.progress.fraction * 10) * 10}%`;
  const where = p.stopped ? p.message : `${task.status}, ${tenths}${p.message ? `: ${p.message}` : ""}`;
  return { key: `${task.status}:${tenths}`, text: `Task #${shownId(task.id)} ${task.type} ${where}` };
}

function progressBar(task) {
  const p = taskProgress(task);
  return h("progress", { max: 1, value: p.fraction, "aria-label": p.label, class: p.stopped ? `stopped stopped-${p.stopped}` : null });
}

function responsesOf(generation) {
  const at = generation.table.columns.indexOf("Response");
  return generation.table.rows.map((row) => row[at]).filter((v) => typeof v === "number");
}

/** The best (largest) response of a generation, or null. */
function bestOf(values) {
  const range = finiteRange(values);
  return range === null ? null : range[1];
}

/**
 * The rows of a generation to draw as markers: all of them when `share` allows, else
 * `share` of them evenly spread over the generation, its best and worst included.
 */
function sampleRows(rows, at, share) {
  const measured = [];
  rows.forEach((row, i) => {
    if (typeof row[at] === "number") measured.push(i);
  });
  if (measured.length <= share) return measured;
  let best = measured[0];
  let worst = measured[0];
  for (const i of measured) {
    if (rows[i][at] > rows[best][at]) best = i;
    if (rows[i][at] < rows[worst][at]) worst = i;
  }
  const kept = new Set([best, worst]);
  const step = measured.length / Math.max(1, share - 2);
  for (let k = 0; kept.size < share && k * step < measured.length; k++) kept.add(measured[Math.floor(k * step)]);
  return [...kept].sort((a, b) => a - b);
}

/** A read-out's lines for a design's row: "factor = value", each set apart (isolated). */
export function pointLines(columns, row, limit = 6) {
  const names = columns.filter((c) => c !== "Response");
  const lines = names.slice(0, limit).map((name) => `${isolated(name)} = ${isolated(cell(row[columns.indexOf(name)]))}`);
  if (names.length > limit) lines.push(`… ${names.length - limit} more`);
  return lines;
}

function progressCharts(history) {
  const measured = history.generations.filter((g) => g.has_responses);
  if (measured.length === 0) {
    return notice("No responses yet: the plots appear once the first experiments are measured.");
  }
  let running = -Infinity;
  const bestSoFar = [];
  const bestOfGen = [];
  let total = 0;
  for (const generation of measured) {
    const values = responsesOf(generation);
    total += values.length;
    const top = bestOf(values);
    if (top === null) continue;
    running = Math.max(running, top);
    bestOfGen.push({ x: generation.gen, y: top, lines: [`generation ${count(generation.gen)}`, `best of the generation ${num(top)}`] });
    bestSoFar.push({ x: generation.gen, y: running, lines: [`generation ${count(generation.gen)}`, `best so far ${num(running)}`] });
  }
  const scatter = [];
  // each generation draws its share of the markers, so that none is left out
  const share = total <= MAX_SCATTER ? Infinity : Math.max(2, Math.floor(MAX_SCATTER / measured.length));
  for (const generation of measured) {
    const { columns, rows } = generation.table;
    const at = columns.indexOf("Response");
    for (const i of sampleRows(rows, at, share)) {
      const row = rows[i];
      const jitter = (((i * 0.6180339887) % 1) - 0.5) * 0.5;
      scatter.push({
        x: generation.gen + jitter,
        y: row[at],
        lines: [`generation ${count(generation.gen)}, row ${count(i + 1)}`, `response ${num(row[at])}`, ...pointLines(columns, row)],
      });
    }
  }
  const sampled =
    scatter.length < total
      ? notice(`${count(scatter.length)} of ${count(total)} responses drawn, each generation's best and worst among them.`)
      : null;
  return h(
    "div",
    { class: "grid-2" },
    card(
      "Best so far",
      chart(
        [
          { name: "best so far", points: bestSoFar, line: true, color: PALETTE[0] },
          { name: "best of each generation", points: bestOfGen, line: true, dashed: true, color: PALETTE[1] },
        ],
        { label: "Best response so far by generation", xLabel: "generation", yLabel: "response", integerX: true },
      ),
    ),
    card(
      "All responses by generation",
      chart([{ name: "responses", points: scatter, color: PALETTE[2], radius: 3 }], {
        label: "Every measured response by generation",
        xLabel: "generation",
        yLabel: "response",
        integerX: true,
      }),
      sampled,
    ),
  );
}

function recommendationCard(best) {
  if (!best) return card("Recommended experiment", notice("Appears once responses are in."));
  const names = Object.keys(best.experiment);
  return card(
    "Recommended experiment",
    h(
      "dl",
      { class: "facts" },
      h("dt", null, "Predicted response"),
      h("dd", { class: "big", id: "predicted-response" }, num(best.predicted_response)),
      h("dt", null, "Observed mean"),
      h("dd", null, `${num(best.observed_mean)} (${count(best.n_observations)} run${best.n_observations === 1 ? "" : "s"})`),
    ),
    table(["Parameter", "Value"], names.map((name) => [name, cell(best.experiment[name])]), { label: "Recommended experiment" }),
  );
}

/** A table of at most MAX_TABLE_ROWS rows; past them, a notice of how many are shown and
 * `whole`, what holds them all (a button, or null: the card's own button). */
function tableOf(data, label, whole = null) {
  const rows = data.rows.slice(0, MAX_TABLE_ROWS).map((row) => row.map(cell));
  const parts = [table(data.columns, rows, { label })];
  if (data.rows.length > MAX_TABLE_ROWS) {
    const where = whole ? "every row is in the history CSV" : "download the CSV for all";
    parts.push(h("div", { class: "card-actions" }, notice(`First ${count(MAX_TABLE_ROWS)} of ${count(data.rows.length)} rows shown; ${where}.`), whole));
  }
  return parts;
}

/**
 * A button that downloads the campaign's history (every generation's experiments and
 * responses, Daptics' CSV: the service's ?format=csv). A generation of 2,500 experiments
 * showed its first 500 rows and said "download the CSV for all", with no download near
 * it: the only one was the latest design's, which has no responses.
 */
function historyButton(api, session) {
  return h(
    "button",
    {
      type: "button",
      class: "secondary small",
      onclick: async (event) => {
        const target = event.currentTarget;
        target.disabled = true;
        try {
          const file = await api.file(sessionPath(session.id, "history"), { format: "csv" });
          download(`${fileStem(session.name)}-history.csv`, file);
        } catch (error) {
          target.after(notice(error.message, "error"));
        } finally {
          target.disabled = false;
        }
      },
    },
    "Download the history CSV",
  );
}

function designCard(api, session, design, history) {
  if (!design) return card("Latest design", notice("No design yet: generate the first one."));
  // the file is the service's (?format=csv): the bytes the library writes, LF line ends
  // (a copy made here from the JSON ended lines with CRLF and wrote 1e-7 for 1e-07)
  const button = h(
    "button",
    {
      type: "button",
      class: "primary",
      id: "download-design",
      onclick: async (event) => {
        const target = event.currentTarget;
        target.disabled = true;
        try {
          const file = await api.file(sessionPath(session.id, "design"), { gen: design.gen, format: "csv" });
          download(`${fileStem(session.name)}-gen${design.gen}-design.csv`, file);
        } catch (error) {
          target.after(notice(error.message, "error"));
        } finally {
          target.disabled = false;
        }
      },
    },
    "Download CSV",
  );
  const at = design.table.columns.indexOf("Response");
  const pending = at >= 0 && design.table.rows.every((row) => row[at] === null);
  const measured = history.generations.some((g) => g.gen === design.gen && g.has_responses);
  const note = measured
    ? `: measured (generation ${count(design.gen)} below has the responses)`
    : ": run them, fill in Response, send the file back";
  const shown = pending
    ? { columns: design.table.columns.filter((_, j) => j !== at), rows: design.table.rows.map((row) => row.filter((_, j) => j !== at)) }
    : design.table;
  return card(
    `Latest design · generation ${count(design.gen)}`,
    h(
      "div",
      { class: "card-actions" },
      h("span", { class: "muted" }, `${count(design.table.rows.length)} experiment${design.table.rows.length === 1 ? "" : "s"}${pending ? note : ""}`),
      button,
    ),
    tableOf(shown, "Latest design"),
  );
}

function generationsCard(api, session, history, opened) {
  if (history.generations.length === 0) return card("Generations", notice("No space yet."));
  const items = [...history.generations].reverse().map((generation) => {
    const values = responsesOf(generation);
    const summary = [
      `Generation ${count(generation.gen)}`,
      ` · ${count(generation.table.rows.length)} experiment${generation.table.rows.length === 1 ? "" : "s"}`,
      values.length ? ` · best ${num(bestOf(values))}` : generation.table.rows.length ? " · awaiting responses" : "",
    ].join("");
    const details = h("details", { class: "generation", "data-gen": generation.gen }, h("summary", null, summary));
    const show = () => {
      if (details.open && details.children.length === 1) {
        details.append(generation.table.rows.length ? h("div", null, tableOf(generation.table, `Generation ${count(generation.gen)}`, historyButton(api, session))) : notice("No experiments in this generation."));
      }
    };
    details.addEventListener("toggle", () => {
      if (details.open) opened.add(generation.gen);
      else opened.delete(generation.gen);
      show();
    });
    if (opened.has(generation.gen)) {
      details.open = true;
      show();
    }
    return details;
  });
  return card("Experiments by generation", items);
}

function analyticsCard(analytics) {
  if (!analytics.files.length) return card("Analytics", notice("No analytics files yet (conn.sessions(id).analytics.create(), or 'sigopt-like analytics')."));
  const images = analytics.files.filter((f) => f.content_type === "image/png");
  return card(
    `Analytics · generation ${count(analytics.gen)}`,
    h(
      "div",
      { class: "thumbs" },
      images.map((file) =>
        h("a", { href: file.url, target: "_blank", rel: "noopener", class: "thumb" }, h("img", { src: file.url, alt: file.name, loading: "lazy" }), h("span", null, file.name)),
      ),
    ),
    h(
      "ul",
      { class: "files" },
      analytics.files.map((file) =>
        h("li", null, h("a", { href: file.url, target: "_blank", rel: "noopener" }, isolated(file.name)), h("span", { class: "muted" }, ` ${file.content_type}, ${Math.ceil(file.size / 1024)} KiB`)),
      ),
    ),
  );
}

/** One campaign's page. */
export function sessionView(page, sid) {
  const root = h("div", { class: "page" }, h("p", { class: "muted" }, "Loading…"));
  const opened = new Set();
  const streams = new Map();
  const rows = new Map();
  // haltArmed survives a refresh of the page, so the second click still halts
  // shown: what the page was last drawn from (the same data again draws nothing)
  // failed: the last load did not finish for a reason that may pass (see isFinal)
  // readAt: when the page was last read whole (said when a later read fails)
  const state = { tasksKey: "", loading: false, again: false, gone: false, haltArmed: false, shown: "", failed: false, readAt: null };
  const trouble = h("div", { class: "page-trouble", role: "status" });
  // one live region for every task (per row, a screen reader would say each row's every
  // change); the same node through redraws, so that what it says next is heard
  const taskNews = h("div", { class: "visually-hidden", id: "task-news", "aria-live": "polite" });
  // what the page last showed of each task (taskSaid's key): only a change is said
  const told = new Map();
  let timer = null;

  function closeStreams() {
    for (const source of streams.values()) source.close();
    streams.clear();
  }
  // A hidden tab holds no event stream: a browser opens at most 6 connections to a host,
  // and each stream holds one, so six tabs following running tasks left a seventh tab
  // (and every call of theirs) waiting for a connection. Shown again, the tab reloads.
  const onVisibility = () => {
    if (document.hidden) closeStreams();
    else load();
  };
  document.addEventListener("visibilitychange", onVisibility);
  page.onDispose(() => {
    state.gone = true;
    clearInterval(timer);
    closeStreams();
    document.removeEventListener("visibilitychange", onVisibility);
  });

  function taskKey(tasks) {
    return tasks.map((t) => `${t.id}:${t.status}`).join(",");
  }

  function updateTaskRow(task) {
    const row = rows.get(task.id);
    if (!row) return;
    const p = taskProgress(task);
    row.querySelector("progress").replaceWith(progressBar(task));
    row.querySelector(".task-percent").textContent = p.percent;
    row.querySelector(".task-message").textContent = p.message;
    row.querySelector(".task-status").replaceChildren(badge(task.status));
    row.dataset.status = task.status;
    const said = taskSaid(task);
    if (told.get(task.id) !== said.key) {
      told.set(task.id, said.key);
      taskNews.textContent = said.text;
    }
  }

  function follow(sidValue, task) {
    if (FINISHED.has(task.status) || streams.has(task.id) || document.hidden || state.gone) return;
    const source = new EventSource(sessionPath(sidValue, "tasks", encodeURIComponent(task.id), "events"));
    streams.set(task.id, source);
    source.addEventListener("task", (event) => {
      const update = JSON.parse(event.data);
      updateTaskRow(update);
      if (FINISHED.has(update.status)) {
        source.close();
        streams.delete(task.id);
        load();
      }
    });
    source.addEventListener("error", () => {
      // the stream ended or broke: the poll below takes over
      source.close();
      streams.delete(task.id);
    });
  }

  function tasksCard(session, tasks) {
    if (!tasks.length) return card("Tasks", notice("No tasks yet."));
    rows.clear();
    const list = tasks.map((task) => {
      const said = taskSaid(task);
      // a task first seen is shown, not said; one seen before that changed is said
      if (told.has(task.id) && told.get(task.id) !== said.key) taskNews.textContent = said.text;
      told.set(task.id, said.key);
      const cancel =
        page.me.actions && !FINISHED.has(task.status) && !task.cancel_requested
          ? h(
              "button",
              {
                type: "button",
                class: "secondary small",
                onclick: async (event) => {
                  event.target.disabled = true;
                  try {
                    await page.api.post(sessionPath(session.id, "tasks", encodeURIComponent(task.id), "cancel"), {});
                  } catch (error) {
                    event.target.replaceWith(notice(error.message, "error"));
                  }
                  load();
                },
              },
              "Cancel",
            )
          : null;
      const errors = (task.errors || []).slice(0, 5).map((e) => h("li", null, e.message));
      const row = h(
        "li",
        { class: "task", "data-task": task.id, "data-status": task.status },
        h("div", { class: "task-head" }, h("strong", null, `#${shownId(task.id)} ${task.type}`), h("span", { class: "task-status" }, badge(task.status)), h("span", { class: "muted" }, when(task.created)), cancel),
        h("div", { class: "task-progress" }, progressBar(task), h("span", { class: "task-percent" }, taskProgress(task).percent)),
        h("div", { class: "task-message muted" }, taskProgress(task).message),
        errors.length ? h("ul", { class: "task-errors" }, errors) : null,
      );
      rows.set(task.id, row);
      return row;
    });
    return card("Tasks", h("ul", { class: "tasks", id: "tasks" }, list));
  }

  function haltButton(session) {
    if (!page.me.actions || session.status !== "active" || session.completed) return null;
    const label = () => (state.haltArmed ? "Click again to halt" : "Halt campaign");
    const button = h("button", { type: "button", class: "danger", id: "halt" }, label());
    button.addEventListener("click", async () => {
      if (!state.haltArmed) {
        state.haltArmed = true;
        button.textContent = label();
        return;
      }
      state.haltArmed = false;
      button.disabled = true;
      try {
        await page.api.post(sessionPath(session.id, "halt"), {});
      } catch (error) {
        button.replaceWith(notice(error.message, "error"));
      }
      load();
    });
    return button;
  }

  function header(session) {
    const status = session.completed ? "completed" : session.status;
    const facts = [
      ["Status", badge(status)],
      ["Generation", session.gen < 0 ? "—" : count(session.gen)],
      ["Generations left", generationsLeft(session.remaining)],
      ["Population", session.population_size === null ? "—" : `${count(session.population_size)} (+${count(session.replicates || 0)} replicate${session.replicates === 1 ? "" : "s"})`],
      ["Best so far", h("span", { id: "best-so-far" }, num(session.best_response))],
      ["Updated", when(session.updated)],
    ];
    return h(
      "div",
      { class: "page-head" },
      h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Campaigns"), " / ", h("span", null, `#${session.id}`)),
      h("div", { class: "title-row" }, named("h1", { ...PAGE_HEADING, id: "session-name" }, session.name, 3), haltButton(session)),
      session.description ? expandable("p", { class: "description", id: "session-description" }, session.description, 4, "session description") : null,
      stats(facts),
    );
  }

  async function load() {
    if (state.loading) {
      state.again = true;
      return;
    }
    state.loading = true;
    try {
      const [session, history, tasks, analytics] = await Promise.all([
        page.api.get(sessionPath(sid)),
        page.api.get(sessionPath(sid, "history")),
        page.api.get(sessionPath(sid, "tasks"), TASK_LISTING),
        page.api.get(sessionPath(sid, "analytics")),
      ]);
      const measured = history.generations.some((g) => g.has_responses);
      const designed = history.generations.some((g) => g.design_rows > 0);
      const [best, design] = await Promise.all([
        measured ? page.api.get(sessionPath(sid, "best")) : null,
        designed ? page.api.get(sessionPath(sid, "design")) : null,
      ]);
      if (state.gone) return;
      page.setTitle(session.name);
      state.tasksKey = taskKey(tasks.data);
      const drawnFrom = JSON.stringify([session, history, tasks.data, analytics, best, design]);
      state.failed = false;
      state.readAt = new Date();
      trouble.replaceChildren();
      if (drawnFrom !== state.shown) {
        state.shown = drawnFrom;
        redraw(
          root,
          trouble,
          taskNews,
          header(session),
          progressCharts(history),
          h("div", { class: "grid-2" }, recommendationCard(best), tasksCard(session, tasks.data)),
          designCard(page.api, session, design, history),
          generationsCard(page.api, session, history, opened),
          analyticsCard(analytics),
        );
      }
      // also when nothing changed: a tab shown again follows its running task again
      for (const task of tasks.data) follow(sid, task);
    } catch (error) {
      if (state.gone) return;
      if (!isFinal(error)) {
        // a 429 or a lost connection gave the page up for good ("Campaign not available:
        // Too many requests ...", and no more polls); it keeps what it shows and retries
        stale(error);
        if (!state.shown) root.replaceChildren(trouble);
        return;
      }
      closeStreams();
      clearInterval(timer);
      unavailable(root, page, "campaign", ["#/", "Campaigns"], error);
    } finally {
      state.loading = false;
      if (state.again && !state.gone) {
        state.again = false;
        load();
      }
    }
  }

  /** Says the page could not be read again (may pass: see isFinal), and since when what
   * it shows is as read; the next tick loads it all again. */
  function stale(error) {
    state.failed = true;
    trouble.replaceChildren(staleNotice("Could not refresh", error, state.readAt));
  }

  async function poll() {
    if (document.hidden || state.loading || state.gone) return;
    if (state.failed) {
      load();
      return;
    }
    try {
      const tasks = await page.api.get(sessionPath(sid, "tasks"), TASK_LISTING);
      if (taskKey(tasks.data) !== state.tasksKey) load();
    } catch (error) {
      if (state.gone) return;
      // a failed look said nothing: with no task running, a page of a stopped service
      // showed what it had read as if it were current. Now it says so at once, and the
      // next tick loads the whole page again (a refusal, say a 404: load says it)
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
