// The dashboard's entry point: who is signed in, the hash router, and the
// lifetime of each page (timers and event streams end when you leave it).

import { Api } from "./api.js";
import { PAGE_HEADING, fill, h, notice } from "./dom.js";
import { experimentView } from "./view-experiment.js";
import { experimentsView } from "./view-experiments.js";
import { sessionView } from "./view-session.js";
import { sessionsView } from "./view-sessions.js";
import { signInView } from "./view-signin.js";

const ROUTES = [
  { pattern: /^\/?(?:sessions)?$/, nav: "sessions", view: sessionsView },
  { pattern: /^\/sessions\/([^/]+)$/, nav: "sessions", view: sessionView },
  { pattern: /^\/experiments$/, nav: "experiments", view: experimentsView },
  { pattern: /^\/experiments\/([^/]+)$/, nav: "experiments", view: experimentView },
];

/** Split "#/sessions?q=x" into its path and query. */
function parseHash(hash) {
  const raw = hash.replace(/^#/, "");
  const at = raw.indexOf("?");
  const path = at < 0 ? raw : raw.slice(0, at);
  const query = new URLSearchParams(at < 0 ? "" : raw.slice(at + 1));
  return { path: path || "/", query };
}

/** The parts of a path, percent-decoded; null when one is not valid percent-encoding
 * (decodeURIComponent throws: the page stayed on the previous one, with an uncaught error). */
function decodeAll(parts) {
  try {
    return parts.map(decodeURIComponent);
  } catch {
    return null;
  }
}

class Dashboard {
  constructor() {
    this.api = new Api();
    this.me = null;
    // why a signed-in tab was sent back to the sign-in form, shown on that form once
    this.signedOutReason = null;
    this.disposers = [];
    this.view = document.getElementById("view");
    this.nav = document.getElementById("nav");
    this.who = document.getElementById("who");
    // whether a page was shown yet: the first one, on load, leaves the focus where the
    // browser put it (the "Skip to content" link is the first Tab stop)
    this.routed = false;
    document.getElementById("skip").addEventListener("click", (event) => {
      event.preventDefault(); // its href ("#view") is not a route
      this.focusHeading();
    });
  }

  /** The keyboard's focus on the page's heading (its h1), or on the page itself. */
  focusHeading() {
    const heading = this.view.querySelector("h1");
    (heading || this.view).focus({ preventScroll: true });
  }

  /**
   * After a link to a new page: the focus on its heading once the page draws it (a page
   * reads its data first), unless the reader moved it meanwhile. A link inside a page
   * is gone with the page, so focus fell to <body> and a screen reader said nothing.
   */
  focusHeadingWhenDrawn() {
    const from = document.activeElement;
    const moved = () => {
      const now = document.activeElement;
      return now !== null && now !== document.body && now !== from && now.isConnected;
    };
    const tryFocus = () => {
      if (moved()) return true;
      if (!this.view.querySelector("h1")) return false;
      this.focusHeading();
      return true;
    };
    if (tryFocus()) return;
    const watcher = new MutationObserver(() => {
      if (tryFocus()) watcher.disconnect();
    });
    watcher.observe(this.view, { childList: true, subtree: true });
    this.disposers.push(() => watcher.disconnect());
  }

  async start() {
    // a 401 while signed in: the cookie expired or was revoked, so sign in again; while
    // signed out it is a refused sign-in, which the form itself says (re-drawing the
    // form here erased that message: a wrong password looked like nothing happened)
    this.api.onUnauthorized = () => {
      if (!this.me || !this.me.signed_in) return;
      this.signedOutReason = this.endedReason();
      this.refreshIdentity();
    };
    window.addEventListener("hashchange", () => this.route());
    await this.refreshIdentity();
  }

  async refreshIdentity() {
    try {
      this.me = await this.api.get("/auth/me");
    } catch (error) {
      this.dispose();
      // one sentence, and a way to try again ("The service cannot be reached: no answer
      // from the service at ..." said it twice, and only a reload tried again)
      const text =
        error.status === 0
          ? `No answer from the service at ${window.location.host}: it is stopped, restarting, or the network is down.`
          : `The service could not say who is signed in: ${error.message}`;
      const again = h("button", { type: "button", class: "secondary", id: "try-again", onclick: () => this.refreshIdentity() }, "Try again");
      fill(this.view, h("div", { class: "page" }, notice(text, "error"), again));
      return;
    }
    this.api.csrfToken = this.me.csrf_token || "";
    this.renderIdentity();
    this.route();
  }

  /** Why a signed-in tab got a 401. Not the API's message: the browser drops the cookie
   * when it expires, so the API saw no credentials at all and answered for scripts
   * ("This service needs an API token: send 'Authorization: Bearer <token>' ..."). */
  endedReason() {
    const expires = this.me && this.me.expires;
    if (expires && Date.now() / 1000 >= expires) {
      const at = new Date(expires * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      return `Your dashboard session expired at ${at}: sign in again to go on where you were.`;
    }
    return "You were signed out (from another tab, or your session was revoked): sign in again to go on where you were.";
  }

  renderIdentity() {
    const me = this.me;
    this.nav.hidden = !me.signed_in;
    if (!me.signed_in) {
      fill(this.who);
      return;
    }
    const parts = [];
    if (!me.auth_required) parts.push(h("span", { class: "pill" }, "local database"));
    else parts.push(h("span", { class: "email", title: me.user.email }, me.user.email));
    if (me.actions) parts.push(h("span", { class: "pill pill-warn", title: "This dashboard can halt sessions and cancel tasks" }, "actions on"));
    if (me.auth_required) {
      parts.push(
        h("button", { type: "button", class: "link-button", id: "sign-out", onclick: () => this.signOut() }, "Sign out"),
      );
    }
    fill(this.who, parts);
  }

  async signOut() {
    try {
      await this.api.post("/auth/sign-out", {});
    } finally {
      window.location.hash = "#/";
      await this.refreshIdentity();
    }
  }

  dispose() {
    for (const dispose of this.disposers.splice(0)) {
      try {
        dispose();
      } catch {
        // a page that is gone cannot fail the next one
      }
    }
  }

  route() {
    this.dispose();
    window.scrollTo(0, 0);
    const moveFocus = this.routed;
    this.routed = true;
    this.draw();
    if (moveFocus) this.focusHeadingWhenDrawn();
  }

  /** The page of the location's hash (the sign-in form while signed out). */
  draw() {
    if (!this.me.signed_in) {
      document.title = "Sign in · sigopt-like";
      fill(this.view, signInView(this.api, () => this.refreshIdentity(), this.signedOutReason));
      this.signedOutReason = null;
      return;
    }
    const { path, query } = parseHash(window.location.hash);
    // until a page names itself, the title is no longer the last page's
    document.title = "sigopt-like";
    for (const route of ROUTES) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const args = decodeAll(match.slice(1));
      if (args === null) break; // "#/sessions/%E0": not an id anyone can have
      this.markCurrent(route.nav);
      const page = {
        api: this.api,
        me: this.me,
        query,
        onDispose: (fn) => this.disposers.push(fn),
        setTitle: (title) => {
          document.title = `${title} · sigopt-like`;
        },
      };
      fill(this.view, route.view(page, ...args));
      return;
    }
    document.title = "Not found · sigopt-like";
    this.markCurrent(null);
    fill(this.view, h("h1", PAGE_HEADING, "Not found"), notice("There is no such page.", "error"), h("a", { href: "#/" }, "Back to the campaigns"));
  }

  /** The navigation link of the page shown, for the eye (class) and for screen readers. */
  markCurrent(nav) {
    for (const link of this.nav.querySelectorAll("a")) {
      const current = link.dataset.nav === nav;
      link.classList.toggle("current", current);
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
  }
}

new Dashboard().start();
