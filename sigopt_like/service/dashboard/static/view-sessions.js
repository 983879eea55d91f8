// Campaigns: every session of the signed-in user, searchable, with where each stands.

import { isFinal } from "./api.js";
import { PAGE_HEADING, badge, h, named, notice, redraw, staleNotice, table } from "./dom.js";
import { count, generationsLeft, num, when } from "./format.js";

const PAGE = 50;
const REFRESH_MS = 10000;

function statusOf(session) {
  if (session.completed) return "completed";
  return session.status;
}

function row(session) {
  return [
    // its key: a redraw of the list (a search, the refresh every 10 s) hands the focus on
    named("a", { href: `#/sessions/${encodeURIComponent(session.id)}`, class: "name", "data-focus-key": `session ${session.id}` }, session.name, 3),
    badge(statusOf(session)),
    session.gen < 0 ? "—" : count(session.gen),
    generationsLeft(session.remaining),
    num(session.best_response),
    session.population_size === null ? "—" : `${count(session.population_size)} × ${count(1 + (session.replicates || 0))}`,
    when(session.updated),
  ];
}

const COLUMNS = ["Campaign", "Status", "Generation", "Generations left", "Best so far", "Population × runs", "Updated"];

/** The list of campaigns (sessions). */
export function sessionsView(page) {
  page.setTitle("Campaigns");
  const search = h("input", {
    type: "search",
    id: "session-search",
    placeholder: "Search by name, description or id",
    "aria-label": "Search campaigns",
    value: page.query.get("q") || "",
  });
  const summary = h("p", { class: "muted", id: "sessions-summary" });
  const results = h("div", { id: "sessions-table" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, "Show more");
  const state = { sessions: [], before: null, generation: 0 };
  const trouble = h("div", { class: "page-trouble", role: "status" });

  // redraw, not replaceChildren: a focused campaign's link stays focused (replaced, it took
  // the focus with it to <body>, and an Enter pressed then opened nothing)
  function render() {
    if (state.sessions.length === 0) {
      const q = search.value.trim();
      redraw(
        results,
        notice(q ? `No campaign matches “${q}”.` : "No campaigns yet. Start one from Python (conn.sessions.create) or with 'sigopt-like sessions create'."),
      );
    } else {
      redraw(results, table(COLUMNS, state.sessions.map(row), { label: "Campaigns", numeric: (j) => j >= 2 && j <= 4, stack: true }));
    }
    more.hidden = !state.before;
  }

  async function load({ append = false, quiet = false } = {}) {
    const generation = ++state.generation;
    try {
      const size = append ? PAGE : Math.max(PAGE, state.sessions.length);
      const list = await page.api.get("/v1/sessions", { q: search.value.trim(), limit: size, before: append ? state.before : null });
      if (generation !== state.generation) return;
      state.sessions = append ? [...state.sessions, ...list.data] : list.data;
      state.before = list.paging.before;
      summary.textContent = `${count(list.count)} campaign${list.count === 1 ? "" : "s"}`;
      render();
      trouble.replaceChildren();
    } catch (error) {
      if (generation !== state.generation) return;
      if (append) {
        // "Show more" that failed: the campaigns shown stay (they were replaced by the
        // error), the trouble is said above them, and the button tries again
        trouble.replaceChildren(notice(`Could not load more campaigns (${error.message}); “Show more” tries again.`, "error"));
        return;
      }
      if (isFinal(error)) {
        if (!quiet) results.replaceChildren(notice(error.message, "error"));
        return;
      }
      // the service stopped or is busy: the list stays (a refresh that failed said
      // nothing, and a first load "Failed to fetch"), and the next refresh reads it again
      trouble.replaceChildren(staleNotice("Could not load the campaigns", error, null));
    }
  }

  let debounce = null;
  search.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const q = search.value.trim();
      history.replaceState(null, "", q ? `#/sessions?q=${encodeURIComponent(q)}` : "#/sessions");
      load();
    }, 250);
  });
  more.addEventListener("click", () => load({ append: true }));
  const timer = setInterval(() => {
    if (!document.hidden) load({ quiet: true });
  }, REFRESH_MS);
  page.onDispose(() => {
    clearInterval(timer);
    clearTimeout(debounce);
  });
  load();
  return h(
    "div",
    { class: "page" },
    h("div", { class: "page-head" }, h("h1", PAGE_HEADING, "Campaigns"), summary),
    h("div", { class: "toolbar" }, search),
    trouble,
    results,
    more,
  );
}
