// What the SigOpt pages share: reading metrics, values and assignments as the
// API returns them (single metric, multimetric, failed observations).

import { cell, isolated, num } from "./format.js";

/** Metrics that are optimized (not constraints, not only stored). */
export function optimizedMetrics(experiment) {
  const metrics = experiment.metrics || [];
  const optimized = metrics.filter((m) => !m.strategy || m.strategy === "optimize");
  return optimized.length ? optimized : metrics;
}

/** The value of metric `name` in an observation (or best assignments), or null. */
export function metricValue(item, name, single) {
  for (const value of item.values || []) if (value.name === name) return value.value;
  if (single && typeof item.value === "number") return item.value;
  return null;
}

/** "yield 0.93 · cost 12.1" for an observation or best assignments: 6 significant
 * digits, as a table shows a parameter's value (4 lost the 5th digit of 0.93417). */
export function valuesText(item) {
  if (item.failed) return "failed";
  const values = item.values || [];
  if (values.length === 0) return num(item.value, 6);
  return values.map((v) => (values.length === 1 ? num(v.value, 6) : `${isolated(v.name ?? "value")} ${num(v.value, 6)}`)).join(" · ");
}

/** "lr = 0.01, depth = 3" (up to `limit` parameters). */
export function assignmentsText(assignments, limit = 4) {
  const entries = Object.entries(assignments || {});
  const text = entries.slice(0, limit).map(([k, v]) => `${isolated(k)} = ${isolated(cell(v))}`).join(", ");
  return entries.length > limit ? `${text}, … (${entries.length - limit} more)` : text;
}

/** True when a larger value is better for this metric. */
export function maximizes(metric) {
  return metric.objective !== "minimize";
}
