// The document's side panels: history (versions, diff, restore), sharing, and actions.

import { ApiError } from "../api";
import type { App } from "../app";
import { busy, download, formatTime, h, mount, problemBox, toast } from "../ui/dom";
import type { DocumentInfo } from "./document";

interface Version {
  version: number;
  title: string;
  author_id: string;
  created_at: string;
  contributors: string[];
  /** Display names in the order of `contributors` (null where the server could not say). */
  contributor_names?: (string | null)[];
  kind: string;
}

interface Collaborator {
  user_id: string;
  role: string;
  username: string;
  display_name: string;
  editing_now: boolean;
}

interface DiffLine {
  kind: "context" | "insert" | "delete";
  text: string;
}

const canAdmin = (role: string) => role === "admin" || role === "owner";

async function names(app: App, id: string): Promise<Map<string, string>> {
  const people = await app.api.get<{ items: Collaborator[] }>(`/documents/${id}/collaborators`).catch(() => ({ items: [] }));
  return new Map(people.items.map((c) => [c.user_id, c.display_name]));
}

export function historyPanel(app: App, root: HTMLElement, doc: DocumentInfo): void {
  const problem = problemBox();
  const list = h("ol", { class: "versions", "aria-label": "Saved versions" });
  const diff = h("div", { class: "diff", "aria-live": "polite" });
  mount(root, h("h2", {}, "History"), problem.el, list, diff);
  const kinds: Record<string, string> = { edit: "edited", auto: "saved while editing", explicit: "saved", restore: "restored" };
  void Promise.all([app.api.get<{ items: Version[] }>(`/documents/${doc.id}/versions?limit=50`), names(app, doc.id)])
    .then(([versions, who]) => {
      const newest = versions.items[0]?.version;
      for (const v of versions.items) {
        const people = v.contributors.length
          ? v.contributors.map((u, i) => v.contributor_names?.[i] ?? who.get(u) ?? "someone").join(", ")
          : (who.get(v.author_id) ?? "someone");
        const show = h("button", { type: "button", class: "link" }, `Version ${v.version}`);
        const restore = h("button", { type: "button", hidden: doc.role === "read" || v.version === newest }, "Restore");
        show.addEventListener("click", () => void showDiff(v.version));
        restore.addEventListener("click", async () => {
          if (!confirm(`Restore version ${v.version}? The current text is kept in the history.`)) return;
          try {
            await busy(restore, () => app.api.post(`/documents/${doc.id}/versions/${v.version}/restore`));
            toast(`Version ${v.version} restored.`);
            historyPanel(app, root, doc);
          } catch (err) {
            problem.show(err instanceof ApiError ? err.human : String(err));
          }
        });
        list.append(h("li", {}, show, h("span", { class: "meta" }, ` ${kinds[v.kind] ?? v.kind} by ${people}, ${formatTime(v.created_at)}`), " ", restore));
      }
    })
    .catch((err) => problem.show(err instanceof ApiError ? err.human : String(err)));

  async function showDiff(version: number) {
    try {
      const d = await app.api.get<{ hunks: { old_start: number; new_start: number; lines: DiffLine[] }[] }>(`/documents/${doc.id}/diff?from=${version}`);
      const sign = { context: " ", insert: "+", delete: "−" };
      mount(
        diff,
        h("h3", {}, `Changes since version ${version}`),
        d.hunks.length === 0
          ? h("p", {}, "No changes: this version is the current text.")
          : d.hunks.map((hunk) =>
              h("pre", { class: "hunk" }, hunk.lines.map((l) => h("span", { class: `line ${l.kind}` }, `${sign[l.kind]} ${l.text}\n`))),
            ),
      );
    } catch (err) {
      problem.show(err instanceof ApiError ? err.human : String(err));
    }
  }
}

export function sharePanel(app: App, root: HTMLElement, doc: DocumentInfo): void {
  const problem = problemBox();
  const list = h("ul", { class: "collaborators", "aria-label": "Collaborators" });
  const email = h("input", { id: "share-email", type: "email", required: true, placeholder: "name@example.com", autocomplete: "off" });
  const role = h("select", { id: "share-role", "aria-label": "Role" }, roleOptions("write"));
  const invite = h("button", { type: "submit", class: "primary" }, "Invite");
  const form = h("form", { class: "share-form" }, h("label", { for: "share-email" }, "Invite by email"), email, role, invite);
  form.hidden = !canAdmin(doc.role);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.show(null);
    try {
      await busy(invite, () => app.api.post(`/documents/${doc.id}/share`, { email: email.value.trim(), role: role.value }));
      toast(`Shared with ${email.value.trim()}.`);
      email.value = "";
      void load();
    } catch (err) {
      problem.show(err instanceof ApiError ? (err.status === 404 ? "No account has that email." : err.human) : String(err));
    }
  });
  mount(root, h("h2", {}, "Sharing"), form, problem.el, list);
  const load = async () => {
    try {
      const people = await app.api.get<{ items: Collaborator[] }>(`/documents/${doc.id}/collaborators`);
      mount(
        list,
        people.items.map((c) => {
          if (c.role === "owner" || !canAdmin(doc.role)) {
            return h("li", {}, h("span", {}, c.display_name), h("span", { class: "meta" }, ` @${c.username} · ${c.role}`));
          }
          const select = h("select", { "aria-label": `Role of ${c.display_name}` }, roleOptions(c.role));
          select.addEventListener("change", async () => {
            try {
              await app.api.post(`/documents/${doc.id}/share`, { user_id: c.user_id, role: select.value });
              toast(`${c.display_name} can now ${select.value === "read" ? "read" : select.value === "write" ? "edit" : "administer"} this document.`);
            } catch (err) {
              problem.show(err instanceof ApiError ? err.human : String(err));
            }
          });
          const revoke = h("button", { type: "button" }, "Remove");
          revoke.addEventListener("click", async () => {
            if (!confirm(`Remove ${c.display_name}'s access?`)) return;
            try {
              await app.api.delete(`/documents/${doc.id}/share/${c.user_id}`);
              void load();
            } catch (err) {
              problem.show(err instanceof ApiError ? err.human : String(err));
            }
          });
          return h("li", {}, h("span", {}, c.display_name), h("span", { class: "meta" }, ` @${c.username}`), select, revoke);
        }),
      );
    } catch (err) {
      problem.show(err instanceof ApiError ? err.human : String(err));
    }
  };
  void load();
}

function roleOptions(selected: string): HTMLOptionElement[] {
  return [
    ["read", "Can read"],
    ["write", "Can edit"],
    ["admin", "Admin"],
  ].map(([v, l]) => h("option", { value: v, selected: v === selected }, l));
}

export function actionsPanel(app: App, root: HTMLElement, doc: DocumentInfo): void {
  const problem = problemBox();
  const exportButton = (format: string, label: string) => {
    const b = h("button", { type: "button" }, label);
    b.addEventListener("click", () =>
      void busy(b, async () => {
        problem.show(null);
        try {
          const res = await app.api.get<Response>(`/documents/${doc.id}/export?format=${format}`, { response: true });
          const name = /filename\*?=(?:UTF-8'')?"?([^";]+)/i.exec(res.headers.get("content-disposition") ?? "")?.[1];
          download(await res.blob(), name ? decodeURIComponent(name) : `${doc.title}.${format}`);
        } catch (err) {
          problem.show(err instanceof ApiError ? `Export failed: ${err.human}` : String(err));
        }
      }),
    );
    return b;
  };
  const act = (label: string, task: () => Promise<void>, show = true) => {
    const b = h("button", { type: "button", hidden: !show }, label);
    b.addEventListener("click", () =>
      void busy(b, async () => {
        problem.show(null);
        try {
          await task();
        } catch (err) {
          problem.show(err instanceof ApiError ? err.human : String(err));
        }
      }),
    );
    return b;
  };
  mount(
    root,
    h("h2", {}, "Export"),
    h("div", { class: "button-row" }, exportButton("md", "Markdown"), exportButton("html", "HTML"), exportButton("pdf", "PDF"), exportButton("docx", "Word")),
    h("h2", {}, "Document"),
    problem.el,
    h(
      "div",
      { class: "button-row" },
      act("Make a copy", async () => {
        const copy = await app.api.post<DocumentInfo>(`/documents/${doc.id}/clone`, {});
        app.go(`#/d/${copy.id}`);
      }),
      act(
        doc.is_template ? "Stop being a template" : "Make a template",
        async () => {
          const d = await app.api.request<DocumentInfo>(doc.is_template ? "DELETE" : "POST", `/documents/${doc.id}/template`);
          doc.is_template = d.is_template;
          toast(d.is_template ? "Now a template: anyone who can read it can start a document from it." : "No longer a template.");
          actionsPanel(app, root, doc);
        },
        canAdmin(doc.role),
      ),
      act(
        "Move to trash",
        async () => {
          if (!confirm(`Move “${doc.title}” to the trash? It can be restored from there.`)) return;
          await app.api.delete(`/documents/${doc.id}`);
          toast(`“${doc.title}” moved to the trash.`);
          app.go("#/?tab=trash");
        },
        doc.role === "owner",
      ),
    ),
  );
}
