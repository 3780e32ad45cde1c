// The account page: profile, password, sessions.

import { ApiError } from "../api";
import type { App, Cleanup } from "../app";
import type { User } from "../auth";
import { busy, formatTime, h, mount, problemBox, toast } from "../ui/dom";
import { livePasswordFeedback } from "./signin";

interface Session {
  id: string;
  device: string;
  ip: string;
  created_at: string;
  last_seen_at: string;
  current: boolean;
}

export function accountView(app: App, root: HTMLElement): Cleanup {
  const user = app.auth.user!;
  const field = (id: string, label: string, value: string, attrs: Record<string, string | boolean> = {}) => {
    const input = h("input", { id, value, ...attrs });
    return { input, el: [h("label", { for: id }, label), input] };
  };

  // Profile
  const name = field("profile-name", "Name", user.display_name, { required: true });
  const username = field("profile-username", "Username", user.username, { required: true });
  const bio = field("profile-bio", "About you", user.bio);
  const profileProblem = problemBox();
  const saveProfile = h("button", { type: "submit", class: "primary" }, "Save profile");
  const profile = h("form", { class: "card", "aria-labelledby": "profile-h" }, h("h2", { id: "profile-h" }, "Profile"), h("p", { class: "meta" }, user.email), name.el, username.el, bio.el, profileProblem.el, saveProfile);
  profile.addEventListener("submit", async (e) => {
    e.preventDefault();
    profileProblem.show(null);
    try {
      const updated = await busy(saveProfile, () =>
        app.api.put<User>("/auth/profile", { display_name: name.input.value, username: username.input.value.trim(), bio: bio.input.value }),
      );
      app.auth.setUser(updated);
      toast("Profile saved.");
    } catch (err) {
      profileProblem.show(err instanceof ApiError ? err.human : String(err));
    }
  });

  // Password
  const current = field("current-password", "Current password", "", { type: "password", autocomplete: "current-password", required: true });
  const next = field("new-password", "New password", "", { type: "password", autocomplete: "new-password", required: true });
  const hint = h("small", { class: "field-note", id: "new-password-note" });
  next.input.setAttribute("aria-describedby", hint.id);
  livePasswordFeedback(next.input, hint, () => ({ email: user.email, username: user.username }));
  const pwProblem = problemBox();
  const savePw = h("button", { type: "submit" }, "Change password");
  const password = h("form", { class: "card", "aria-labelledby": "pw-h" }, h("h2", { id: "pw-h" }, "Password"), current.el, next.el, hint, pwProblem.el, savePw, h("p", { class: "meta" }, "Changing it signs out every other device."));
  password.addEventListener("submit", async (e) => {
    e.preventDefault();
    pwProblem.show(null);
    try {
      await busy(savePw, () => app.api.put("/auth/password", { current_password: current.input.value, new_password: next.input.value }));
      current.input.value = next.input.value = "";
      toast("Password changed. Your other devices were signed out.");
      void loadSessions();
    } catch (err) {
      pwProblem.show(err instanceof ApiError ? err.human : String(err));
    }
  });

  // Sessions
  const sessions = h("ul", { class: "sessions" });
  const sessionsProblem = problemBox();
  const loadSessions = async () => {
    try {
      const list = await app.api.get<{ items: Session[] }>("/auth/sessions");
      mount(
        sessions,
        list.items.map((s) => {
          const end = h("button", { type: "button" }, s.current ? "Sign out here" : "End session");
          end.addEventListener("click", async () => {
            try {
              await busy(end, () => app.api.delete(`/auth/sessions/${s.id}`));
              if (s.current) app.auth.sessionEnded();
              else void loadSessions();
            } catch (err) {
              sessionsProblem.show(err instanceof ApiError ? err.human : String(err));
            }
          });
          return h("li", {}, h("strong", {}, s.device), s.current ? " (this device)" : "", h("span", { class: "meta" }, ` ${s.ip} · last seen ${formatTime(s.last_seen_at)} · since ${formatTime(s.created_at)}`), " ", end);
        }),
      );
    } catch (err) {
      sessionsProblem.show(err instanceof ApiError ? err.human : String(err));
    }
  };
  void loadSessions();

  mount(
    root,
    h("section", { class: "account-page" }, h("h1", {}, "Your account"), profile, password, h("section", { class: "card", "aria-labelledby": "sessions-h" }, h("h2", { id: "sessions-h" }, "Where you are signed in"), sessionsProblem.el, sessions)),
  );
  name.input.focus();
}
