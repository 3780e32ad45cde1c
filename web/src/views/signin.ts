// Sign in and register.

import { ApiError } from "../api";
import type { App } from "../app";
import { busy, h, mount, problemBox } from "../ui/dom";

export function signIn(app: App, root: HTMLElement): void {
  const id = h("input", { id: "identifier", name: "username", autocomplete: "username", required: true });
  const pw = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const problem = problemBox();
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to tandem"),
    h("label", { for: "identifier" }, "Email or username"),
    id,
    h("label", { for: "password" }, "Password"),
    pw,
    problem.el,
    submit,
    h("p", {}, "New here? ", h("a", { href: "#/register" }, "Create an account")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.show(null);
    try {
      await busy(submit, () => app.auth.login(id.value.trim(), pw.value));
      app.go(app.afterSignIn ?? "#/");
    } catch (err) {
      problem.show(err instanceof ApiError ? err.human : String(err));
      pw.select();
    }
  });
  mount(root, form);
  id.focus();
}

/** The quick part of the password policy, checked on every keystroke; `policyVerdict` asks
 * the User Service for the whole verdict (it also scores guessability) once typing pauses. */
export function passwordHints(password: string, email: string, username: string): string[] {
  const hints: string[] = [];
  if (password.length < 12) hints.push(`at least 12 characters (${password.length} so far)`);
  if (new TextEncoder().encode(password).length > 72) hints.push("at most 72 bytes");
  const lower = password.toLowerCase();
  if (username.length >= 3 && lower.includes(username.toLowerCase())) hints.push("must not contain your username");
  const local = email.split("@")[0]?.toLowerCase() ?? "";
  if (local.length >= 3 && lower.includes(local)) hints.push("must not contain your email");
  if (password.length >= 12 && new Set(password).size < 6) hints.push("too repetitive: mix more different characters");
  return hints;
}

/** Shows the policy's verdict on `input` in `note` as the person types: the local hints at
 * once, the server's verdict (POST /auth/password-check) 300 ms after the last keystroke. */
export function livePasswordFeedback(
  input: HTMLInputElement,
  note: HTMLElement,
  context: () => { email: string; username: string },
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  const show = (text: string, ok: boolean) => {
    note.textContent = text;
    note.className = `field-note ${ok ? "ok" : "bad"}`;
  };
  const update = () => {
    clearTimeout(timer);
    const password = input.value;
    if (!password) {
      note.textContent = "At least 12 characters, hard to guess, not containing your email or username.";
      note.className = "field-note";
      return;
    }
    const { email, username } = context();
    const hints = passwordHints(password, email, username);
    if (hints.length) return show(`Needs: ${hints.join("; ")}.`, false);
    show("Checking…", true);
    const ticket = ++asked;
    timer = setTimeout(async () => {
      try {
        const res = await fetch("/auth/password-check", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ password, email, username }),
        });
        if (ticket !== asked) return; // a newer keystroke is being checked
        if (!res.ok) return show("Looks long enough; it is checked again when you submit.", true);
        const v = (await res.json()) as { acceptable: boolean; message?: string };
        show(v.acceptable ? "Strong enough." : `This password ${v.message}`, v.acceptable);
      } catch {
        if (ticket === asked) show("Looks long enough; it is checked again when you submit.", true);
      }
    }, 300);
  };
  input.addEventListener("input", update);
  update();
}

export function register(app: App, root: HTMLElement): void {
  const field = (name: string, label: string, attrs: Record<string, string | boolean> = {}) => {
    const input = h("input", { id: name, name, required: true, ...attrs });
    const note = h("small", { id: `${name}-note`, class: "field-note" });
    input.setAttribute("aria-describedby", note.id);
    return { input, note, el: [h("label", { for: name }, label), input, note] };
  };
  const name = field("display_name", "Your name", { autocomplete: "name" });
  const email = field("email", "Email", { type: "email", autocomplete: "email" });
  const username = field("username", "Username", { autocomplete: "username", pattern: "[a-zA-Z0-9_.\\-]{3,32}" });
  const password = field("new-password", "Password", { type: "password", autocomplete: "new-password" });
  const problem = problemBox();
  const submit = h("button", { type: "submit", class: "primary" }, "Create account");
  livePasswordFeedback(password.input, password.note, () => ({ email: email.input.value.trim(), username: username.input.value.trim() }));
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "register-title" },
    h("h1", { id: "register-title" }, "Create your account"),
    name.el,
    email.el,
    username.el,
    password.el,
    problem.el,
    submit,
    h("p", {}, "Have an account? ", h("a", { href: "#/signin" }, "Sign in")),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.show(null);
    for (const f of [name, email, username]) f.note.textContent = "";
    try {
      await busy(submit, async () => {
        await app.api.post("/auth/register", {
          display_name: name.input.value,
          email: email.input.value.trim(),
          username: username.input.value.trim(),
          password: password.input.value,
        });
        await app.auth.login(username.input.value.trim(), password.input.value);
      });
      app.go("#/");
    } catch (err) {
      if (err instanceof ApiError) {
        const map: Record<string, { note: HTMLElement; input: HTMLInputElement }> = {
          display_name: name,
          email,
          username,
          password,
        };
        for (const e2 of err.errors) {
          const f = map[e2.field];
          if (f) {
            f.note.textContent = e2.message;
            f.note.className = "field-note bad";
          }
        }
        problem.show(err.errors.length ? "Please fix the fields marked above." : err.human);
      } else problem.show(String(err));
    }
  });
  mount(root, form);
  name.input.focus();
}
