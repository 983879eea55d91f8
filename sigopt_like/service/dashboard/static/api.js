// The dashboard's only door to the data: the service's own /v1 REST API, with
// the session cookie. Auth, ownership and every check are the API's.

/** An error answer of the API: status, stable code, the server's message. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `The service answered HTTP ${status}.`);
    this.status = status;
    this.code = (body && body.code) || "http_error";
    this.body = body;
  }
}

/**
 * True for an answer that says a page is not to be had (signed out, refused, no such
 * item, a request the service will never take); false for one that may pass (no
 * connection, 408, 429 "too many requests", 5xx while a database restarts): the page
 * then keeps what it shows and tries again.
 */
export function isFinal(error) {
  const status = error && error.status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** What a page says when no answer came (the service stopped, or no network). */
export function unreachable() {
  return `no answer from the service at ${window.location.host} (stopped, restarting, or the network is down)`;
}

function randomKey() {
  // crypto.randomUUID needs a secure context; getRandomValues works on plain http too
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Calls to the service for one signed-in browser tab. */
export class Api {
  constructor() {
    this.csrfToken = "";
    this.onUnauthorized = null;
  }

  async request(method, path, { params, body, accept = "application/json" } = {}) {
    const url = new URL(path, window.location.origin);
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, value);
    }
    const headers = { Accept: accept };
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRF-Token"] = this.csrfToken;
      headers["Idempotency-Key"] = randomKey();
      init.body = JSON.stringify(body ?? {});
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      // fetch's own words ("Failed to fetch", "NetworkError when attempting to fetch
      // resource.") were all a page said when the service stopped; status 0: not final
      throw new ApiError(0, { code: "unreachable", message: unreachable() });
    }
    if (response.ok && accept !== "application/json") return response.blob();
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401 && this.onUnauthorized) this.onUnauthorized(error);
      throw error;
    }
    return data;
  }

  get(path, params) {
    return this.request("GET", path, { params });
  }

  /** A file the service writes (a design's CSV) as a Blob: its bytes, not a copy made here. */
  file(path, params, accept = "text/csv") {
    return this.request("GET", path, { params, accept });
  }

  post(path, body) {
    return this.request("POST", path, { body });
  }

  /** Every item of a paginated list, newest first, up to `max` items. */
  async all(path, params = {}, max = 5000) {
    const items = [];
    let before = null;
    for (;;) {
      const page = await this.get(path, { ...params, limit: 1000, before });
      items.push(...page.data);
      before = page.paging && page.paging.before;
      if (!before || page.data.length === 0 || items.length >= max) return items.slice(0, max);
    }
  }

  /**
   * The items of a paginated list made after item `after` (its id), newest first: the
   * API's `after` cursor, so that a page that follows a list reads only what is new. Its
   * pages come nearest to the cursor first; past `max` items it stops (the caller sees
   * fewer than were made, and reads the list again).
   */
  async since(path, after, params = {}, max = 5000) {
    const items = [];
    let cursor = after;
    for (;;) {
      const page = await this.get(path, { ...params, limit: Math.min(1000, max), after: cursor });
      items.unshift(...page.data);
      cursor = page.paging && page.paging.after;
      if (!cursor || page.data.length === 0 || items.length >= max) return items;
    }
  }
}

/** The path of a session's sub-resource, ids escaped. */
export function sessionPath(sid, ...rest) {
  return ["/v1/sessions", encodeURIComponent(sid), ...rest].join("/");
}

/** The path of a SigOpt experiment's sub-resource, ids escaped. */
export function experimentPath(eid, ...rest) {
  return ["/v1/experiments", encodeURIComponent(eid), ...rest].join("/");
}
