// Sign in with an API token; the token is checked against the API before it is kept.
import { api, ApiError, token } from "../api.js";
import { fill, h, labelled } from "../dom.js";

/** The sign-in form; ``done`` runs once the token has been accepted. */
export function render(view, { done }) {
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const message = h("p", { class: "error", role: "alert" });
  const form = h(
    "form",
    { class: "stack card", "aria-labelledby": "signin-title" },
    labelled("token", "API token", input),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    token.set(input.value.trim());
    try {
      await api("/me");
    } catch (error) {
      token.clear();
      message.textContent = error instanceof ApiError && error.status === 401 ? "That token is not valid." : error.message;
      input.focus();
      return;
    }
    await done();
  });
  fill(
    view,
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", { class: "muted" }, "Use the token your administrator gave you. It is kept for this browser tab only."),
    form,
  );
  input.focus();
}
