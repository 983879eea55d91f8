// SigOpt experiments: every experiment of the signed-in user (the runs API's AI
// experiments too), the deleted (archived) ones behind a checkbox (the API lists only active ones unless asked for state=all).

import { isFinal } from "./api.js";
import { PAGE_HEADING, badge, h, named, notice, staleNotice, table } from "./dom.js";
import { count, isolated, when } from "./format.js";
import { optimizedMetrics, valuesText } from "./sigopt.js";

// a list that could not be read (no answer, a 429, a 5xx) is read again after this long
const RETRY_MS = 5000;

const COLUMNS = ["Experiment", "State", "Observations", "Best", "Metrics", "Updated"];
// experiments read at a time (the API's largest page); "Show more" reads the next ones
const PAGE = 1000;

function row(experiment) {
  const progress = experiment.progress || {};
  // an AI experiment (sigopt.create_experiment) counts finished runs against its budget
  const observed = progress.observation_count ?? progress.finished_run_count ?? 0;
  const budget = experiment.observation_budget ?? experiment.budget;
  const metrics = optimizedMetrics(experiment)
    .map((m) => `${isolated(m.name ?? "value")} (${m.objective === "minimize" ? "min" : "max"})`)
    .join(", ");
  return [
    named("a", { href: `#/experiments/${encodeURIComponent(experiment.id)}`, class: "name" }, experiment.name, 3),
    badge(experiment.state),
    budget ? `${count(observed)} / ${count(budget)}` : count(observed),
    // a metric's name may be as long as the API takes: cut to a few lines, as the name is
    // (drawn whole, one widened the table past a desktop's window)
    progress.best_observation ? named("span", { class: "cut" }, valuesText(progress.best_observation), 3) : "—",
    metrics ? named("span", { class: "cut" }, metrics, 3) : "—",
    when(experiment.updated),
  ];
}

/** The list of SigOpt experiments. */
export function experimentsView(page) {
  page.setTitle("SigOpt experiments");
  const summary = h("p", { class: "muted", id: "experiments-summary" });
  const filter = h("input", { type: "search", id: "experiment-filter", placeholder: "Filter by name", "aria-label": "Filter experiments" });
  const results = h("div", { id: "experiments-table" });
  const showDeleted = h("input", { type: "checkbox", id: "show-deleted", checked: page.query.get("deleted") === "1" });
  const deletedLabel = h("span", null, "Show deleted experiments");
  const more = h("button", { type: "button", class: "secondary", id: "more-experiments", hidden: true }, "Show more");
  // experiments: those read, newest first; total: how many the service has (for the
  // search it was asked, if any); before: the cursor of the rest, null when all are read;
  // search: the name searched at the service (past one page: see needServer)
  const state = { experiments: [], total: 0, before: null, search: "", generation: 0 };
  const trouble = h("div", { class: "page-trouble", role: "status" });
  let retry = null;

  // the whole list is read: filtering it needs no service
  const needServer = () => state.before !== null || state.search !== "";

  function render() {
    const needle = filter.value.trim().toLowerCase();
    const { experiments } = state;
    const deleted = experiments.filter((e) => e.state === "deleted").length;
    const listed = showDeleted.checked ? experiments : experiments.filter((e) => e.state !== "deleted");
    const shown = listed.filter((e) => !needle || e.name.toLowerCase().includes(needle) || e.id === needle);
    const active = experiments.length - deleted;
    const counted = `${count(active)} experiment${active === 1 ? "" : "s"}${deleted ? `, ${count(deleted)} deleted` : ""}`;
    const matching = state.search ? ` matching “${state.search}”` : "";
    // a list cut at a page said nothing of the rest: "showing 1,000 of 1,234"
    summary.textContent =
      experiments.length < state.total
        ? `Showing the newest ${count(experiments.length)} of ${count(state.total)} experiments${matching} (${counted} among them): “Show more” below, or filter by name.`
        : `${counted}${matching}`;
    deletedLabel.textContent = `Show deleted experiments (${deleted})`;
    results.replaceChildren(
      shown.length
        ? table(COLUMNS, shown.map(row), { label: "SigOpt experiments", numeric: (j) => j === 2 || j === 3, stack: true })
        : notice(
            listed.length || state.search
              ? "No experiment matches."
              : deleted
                ? "Every experiment is deleted: tick “Show deleted experiments” to see them."
                : "No SigOpt experiments yet (conn.experiments.create(...) or the sigopt client).",
          ),
    );
    more.hidden = !state.before;
  }

  async function load({ append = false } = {}) {
    const generation = ++state.generation;
    const search = append ? state.search : needServer() || state.search ? filter.value.trim() : "";
    try {
      // include_ai: the runs API's experiments (sigopt.create_experiment) too, which the
      // API lists only when asked: they were on no page but their own address
      const list = await page.api.get("/v1/experiments", { state: "all", include_ai: "true", limit: PAGE, search, before: append ? state.before : null });
      if (generation !== state.generation) return;
      state.experiments = append ? [...state.experiments, ...list.data] : list.data;
      state.total = list.count;
      state.before = list.paging.before;
      state.search = search;
      render();
      trouble.replaceChildren();
    } catch (error) {
      if (generation !== state.generation) return;
      if (append) {
        // "Show more" that failed: the experiments shown stay (they were replaced by the
        // error), the trouble is said above them, and the button tries again
        trouble.replaceChildren(notice(`Could not load more experiments (${error.message}); “Show more” tries again.`, "error"));
        return;
      }
      if (isFinal(error)) {
        results.replaceChildren(notice(error.message, "error"));
        return;
      }
      // the service stopped or is busy: the list read so far stays, and is read again
      // (it said "Failed to fetch" in place of the list, until the page was reloaded)
      trouble.replaceChildren(staleNotice("Could not load the experiments", error, null));
      clearTimeout(retry);
      retry = setTimeout(() => load({ append }), RETRY_MS);
    }
  }

  let debounce = null;
  filter.addEventListener("input", () => {
    render();
    if (!needServer()) return;
    // more than a page: the service searches them all, the names it has not sent too
    clearTimeout(debounce);
    debounce = setTimeout(() => load(), 250);
  });
  showDeleted.addEventListener("change", () => {
    // in the address, so that back, forward and reload keep the choice
    history.replaceState(null, "", showDeleted.checked ? "#/experiments?deleted=1" : "#/experiments");
    render();
  });
  more.addEventListener("click", () => load({ append: true }));
  page.onDispose(() => {
    clearTimeout(debounce);
    clearTimeout(retry);
  });
  load();
  return h(
    "div",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", PAGE_HEADING, "SigOpt experiments"), summary),
    h("div", { class: "toolbar" }, filter, h("label", { class: "check" }, showDeleted, deletedLabel)),
    trouble,
    results,
    more,
  );
}
