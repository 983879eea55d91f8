// SigOpt experiments: every experiment of the signed-in user, the deleted (archived)
// ones behind a checkbox (the API lists only active ones unless asked for state=all).

import { badge, h, notice, table } from "./dom.js";
import { when } from "./format.js";
import { optimizedMetrics, valuesText } from "./sigopt.js";

const COLUMNS = ["Experiment", "State", "Observations", "Best", "Metrics", "Updated"];

function row(experiment) {
  const progress = experiment.progress || {};
  const count = progress.observation_count ?? 0;
  const budget = experiment.observation_budget;
  const metrics = optimizedMetrics(experiment)
    .map((m) => `${m.name ?? "value"} (${m.objective === "minimize" ? "min" : "max"})`)
    .join(", ");
  return [
    h("a", { href: `#/experiments/${encodeURIComponent(experiment.id)}`, class: "name" }, experiment.name),
    badge(experiment.state),
    budget ? `${count} / ${budget}` : String(count),
    progress.best_observation ? valuesText(progress.best_observation) : "—",
    metrics,
    when(experiment.updated),
  ];
}

/** The list of SigOpt experiments. */
export function experimentsView(page) {
  page.setTitle("SigOpt experiments");
  const summary = h("p", { class: "muted" });
  const filter = h("input", { type: "search", id: "experiment-filter", placeholder: "Filter by name", "aria-label": "Filter experiments" });
  const results = h("div", { id: "experiments-table" });
  const showDeleted = h("input", { type: "checkbox", id: "show-deleted", checked: page.query.get("deleted") === "1" });
  const deletedLabel = h("span", null, "Show deleted experiments");
  let experiments = [];

  function render() {
    const needle = filter.value.trim().toLowerCase();
    const deleted = experiments.filter((e) => e.state === "deleted").length;
    const listed = showDeleted.checked ? experiments : experiments.filter((e) => e.state !== "deleted");
    const shown = listed.filter((e) => !needle || e.name.toLowerCase().includes(needle) || e.id === needle);
    const active = experiments.length - deleted;
    summary.textContent = `${active} experiment${active === 1 ? "" : "s"}${deleted ? `, ${deleted} deleted` : ""}`;
    deletedLabel.textContent = `Show deleted experiments (${deleted})`;
    results.replaceChildren(
      shown.length
        ? table(COLUMNS, shown.map(row), { label: "SigOpt experiments", numeric: (j) => j === 2 || j === 3, stack: true })
        : notice(
            listed.length
              ? "No experiment matches."
              : deleted
                ? "Every experiment is deleted: tick “Show deleted experiments” to see them."
                : "No SigOpt experiments yet (conn.experiments.create(...) or the sigopt client).",
          ),
    );
  }

  filter.addEventListener("input", render);
  showDeleted.addEventListener("change", () => {
    // in the address, so that back, forward and reload keep the choice
    history.replaceState(null, "", showDeleted.checked ? "#/experiments?deleted=1" : "#/experiments");
    render();
  });
  page.api
    .all("/v1/experiments", { state: "all" }, 1000)
    .then((list) => {
      experiments = list;
      render();
    })
    .catch((error) => results.replaceChildren(notice(error.message, "error")));
  return h("div", { class: "page" }, h("div", { class: "page-head" }, h("h1", null, "SigOpt experiments"), summary), h("div", { class: "toolbar" }, filter, h("label", { class: "check" }, showDeleted, deletedLabel)), results);
}
