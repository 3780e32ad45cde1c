// The shell: header, hash routes, and the services views share.

import { Api } from "./api";
import { Auth, browserDeps } from "./auth";
import { h, mount } from "./ui/dom";
import { documentList } from "./views/list";
import { documentView } from "./views/document";
import { accountView } from "./views/account";
import { register, signIn } from "./views/signin";

/** A view renders into `root` and returns what to do when it is left. */
export type Cleanup = (() => void) | void;

export class App {
  readonly auth = new Auth(browserDeps());
  readonly api = new Api(this.auth);
  /** Where to go after signing in (the page that sent the user to sign in). */
  afterSignIn: string | null = null;
  private cleanup: Cleanup = undefined;
  private readonly header = h("header", { class: "top" });
  private readonly main = h("main", { id: "main", tabindex: "-1" });

  async start(root: HTMLElement): Promise<void> {
    mount(root, h("a", { class: "skip", href: "#main" }, "Skip to content"), this.header, this.main);
    this.auth.onChange((user) => {
      this.renderHeader();
      if (!user && !location.hash.startsWith("#/register")) {
        this.afterSignIn = location.hash || "#/";
        this.go("#/signin");
      }
    });
    await this.auth.restore();
    this.renderHeader();
    window.addEventListener("hashchange", () => this.route());
    this.route();
  }

  go(hash: string): void {
    if (location.hash === hash) this.route();
    else location.hash = hash;
  }

  private route(): void {
    if (typeof this.cleanup === "function") this.cleanup();
    this.cleanup = undefined;
    const [path, query] = (location.hash.slice(1) || "/").split("?");
    const params = new URLSearchParams(query);
    const parts = path.split("/").filter(Boolean);
    if (parts[0] === "register") return register(this, this.main);
    if (!this.auth.signedIn) {
      if (parts[0] !== "signin") this.afterSignIn = location.hash || "#/";
      return signIn(this, this.main);
    }
    if (parts[0] === "signin") return this.go(this.afterSignIn ?? "#/");
    if (parts[0] === "d" && parts[1]) {
      this.cleanup = documentView(this, this.main, parts[1]);
      return;
    }
    if (parts[0] === "account") {
      this.cleanup = accountView(this, this.main);
      return;
    }
    this.cleanup = documentList(this, this.main, params);
  }

  private renderHeader(): void {
    const user = this.auth.user;
    mount(
      this.header,
      h("a", { class: "brand", href: "#/" }, "tandem"),
      user &&
        h(
          "nav",
          { "aria-label": "Account" },
          h("a", { href: "#/" }, "Documents"),
          h("a", { href: "#/account" }, user.display_name),
          h("button", { type: "button", class: "link", onclick: () => void this.auth.logout() }, "Sign out"),
        ),
    );
  }
}
