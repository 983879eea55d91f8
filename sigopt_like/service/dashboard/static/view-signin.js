// Sign in with an email and a password, or with an API token. Either way the
// service answers with an HttpOnly session cookie; nothing is kept in the page.

import { PAGE_HEADING, h, notice } from "./dom.js";

function field(label, input) {
  return h("label", { class: "field" }, h("span", null, label), input);
}

/** The sign-in page; `done()` runs once the cookie is set; `reason`: why the person
 * has to sign in again (a session that expired or was signed out elsewhere), or null. */
export function signInView(api, done, reason = null) {
  const message = h("div", { class: "form-message", role: "alert" }, reason ? notice(reason, "error") : null);
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, id: "signin-email" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true, id: "signin-password" });
  const token = h("input", { type: "password", name: "token", autocomplete: "off", required: true, id: "signin-token", spellcheck: "false" });

  async function submit(event, body) {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    message.replaceChildren();
    try {
      await api.post("/auth/sign-in", body());
      done();
    } catch (error) {
      message.replaceChildren(notice(error.message, "error"));
      button.disabled = false;
    }
  }

  const byPassword = h(
    "form",
    { class: "signin-form", id: "signin-password-form", onsubmit: (e) => submit(e, () => ({ email: email.value, password: password.value })) },
    field("Email", email),
    field("Password", password),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  const byToken = h(
    "form",
    { class: "signin-form", id: "signin-token-form", hidden: true, onsubmit: (e) => submit(e, () => ({ token: token.value })) },
    field("API token", token),
    h("p", { class: "hint" }, "The token stays on the server: the browser gets a separate session cookie, revoked when you sign out."),
    h("button", { type: "submit", class: "primary" }, "Sign in with the token"),
  );
  // tabs as WAI-ARIA's pattern has them: each names the form it shows (a tab panel), only
  // the selected one is in the Tab order, and the arrow keys (Home, End) move between them
  const panels = [
    ["Email and password", byPassword],
    ["API token", byToken],
  ];
  const tabs = panels.map(([label, form], i) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: "tab",
        id: `${form.id}-tab`,
        "aria-controls": form.id,
        "aria-selected": String(i === 0),
        tabindex: i === 0 ? "0" : "-1",
        onclick: () => select(i),
      },
      label,
    ),
  );
  panels.forEach(([, form], i) => {
    form.setAttribute("role", "tabpanel");
    form.setAttribute("aria-labelledby", tabs[i].id);
  });

  function select(index, focus = false) {
    tabs.forEach((tab, i) => {
      tab.setAttribute("aria-selected", String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
      panels[i][1].hidden = i !== index;
    });
    if (focus) tabs[index].focus();
    message.replaceChildren();
  }

  function onKey(event) {
    const at = tabs.indexOf(event.target);
    const last = tabs.length - 1;
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: last }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    select((to + tabs.length) % tabs.length, true);
  }

  return h(
    "div",
    { class: "signin" },
    h("h1", PAGE_HEADING, "Sign in"),
    h("p", { class: "muted" }, "Your campaigns and SigOpt experiments on this service."),
    h("div", { class: "tabs", role: "tablist", "aria-label": "How to sign in", onkeydown: onKey }, tabs),
    byPassword,
    byToken,
    message,
  );
}
