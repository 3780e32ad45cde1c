// The document list: owned, shared with me, trash; sorting; search; create; import.

import { ApiError, toApiError } from "../api";
import type { App, Cleanup } from "../app";
import { busy, formatTime, h, mount, problemBox, toast } from "../ui/dom";

export interface Summary {
  id: string;
  title: string;
  version: number;
  role: string;
  owner_id: string;
  updated_at: string;
  deleted_at?: string;
}

interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

interface Hit {
  id: string;
  title: string;
  role: string;
  snippet: string;
  updated_at: string;
}

const TABS = [
  ["all", "All"],
  ["owned", "Mine"],
  ["shared", "Shared with me"],
  ["trash", "Trash"],
] as const;

export function documentList(app: App, root: HTMLElement, params: URLSearchParams): Cleanup {
  const tab = (params.get("tab") ?? "all") as (typeof TABS)[number][0];
  const sort = params.get("sort") === "title" ? "title" : "updated_at";
  const q = params.get("q") ?? "";
  const problem = problemBox();
  const list = h("ul", { class: "doc-list", "aria-live": "polite" });
  const more = h("button", { type: "button", hidden: true }, "Load more");

  const search = h("input", { type: "search", id: "search", name: "q", value: q, placeholder: "Search documents", "aria-label": "Search documents" });
  const searchForm = h("form", { role: "search", class: "search" }, search, h("button", { type: "submit" }, "Search"));
  searchForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const value = search.value.trim();
    app.go(value ? `#/?q=${encodeURIComponent(value)}` : "#/");
  });

  const title = h("input", { id: "new-title", name: "title", placeholder: "Untitled", "aria-label": "Title of the new document" });
  const template = h("select", { id: "new-template", "aria-label": "Start from" }, h("option", { value: "" }, "Blank document"));
  const create = h("button", { type: "submit", class: "primary" }, "New document");
  const createForm = h("form", { class: "create" }, title, template, create);
  createForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    problem.show(null);
    try {
      const body: Record<string, string> = {};
      if (title.value.trim()) body.title = title.value.trim();
      else if (!template.value) body.title = "Untitled";
      if (template.value) body.template_id = template.value;
      const doc = await busy(create, () => app.api.post<Summary>("/documents", body));
      app.go(`#/d/${doc.id}`);
    } catch (err) {
      problem.show(err instanceof ApiError ? err.human : String(err));
    }
  });
  void app.api
    .get<{ items: { id: string; title: string }[] }>("/documents/templates")
    .then((t) => t.items.forEach((item) => template.append(h("option", { value: item.id }, `Template: ${item.title}`))))
    .catch(() => undefined);

  const file = h("input", { type: "file", id: "import-file", accept: ".md,.markdown,.txt,.text,.html,.htm,.docx", class: "visually-hidden" });
  const importLabel = h("label", { for: "import-file", class: "button" }, "Import a file…");
  const drop = h("div", { class: "drop", "aria-label": "Import: drop a file here" }, importLabel, h("span", {}, " or drop a .md, .txt, .html or .docx file here"));
  const progress = h("progress", { max: 100, value: 0, hidden: true, "aria-label": "Upload progress" });
  const upload = (f: File) => {
    problem.show(null);
    progress.hidden = false;
    importFile(app, f, (p) => (progress.value = p))
      .then((doc) => app.go(`#/d/${doc.id}`))
      .catch((err) => problem.show(err instanceof ApiError ? `Could not import ${f.name}: ${err.human}` : String(err)))
      .finally(() => (progress.hidden = true));
  };
  file.addEventListener("change", () => file.files?.[0] && upload(file.files[0]));
  drop.addEventListener("dragover", (e) => (e.preventDefault(), drop.classList.add("over")));
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f) upload(f);
  });

  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "Which documents" },
    TABS.map(([key, label]) =>
      h("a", { href: `#/?tab=${key}&sort=${sort}`, "aria-current": !q && key === tab ? "page" : null }, label),
    ),
  );
  const sortSelect = h(
    "select",
    { id: "sort", "aria-label": "Sort by" },
    h("option", { value: "updated_at", selected: sort === "updated_at" }, "Recently changed"),
    h("option", { value: "title", selected: sort === "title" }, "Title"),
  );
  sortSelect.addEventListener("change", () => app.go(`#/?tab=${tab}&sort=${sortSelect.value}`));

  mount(
    root,
    h(
      "section",
      { class: "list-page" },
      h("div", { class: "toolbar" }, createForm, drop, file, progress),
      h("div", { class: "toolbar" }, searchForm, q ? null : tabs, q || tab === "trash" ? null : sortSelect),
      h("h1", { class: "visually-hidden" }, q ? `Search results for ${q}` : "Documents"),
      problem.el,
      list,
      more,
    ),
  );

  let cursor: string | null = null;
  const load = async () => {
    problem.show(null);
    try {
      if (q) {
        const page = await app.api.get<Page<Hit>>(`/documents/search?q=${encodeURIComponent(q)}${cursor ? `&cursor=${cursor}` : ""}`);
        if (!page.items.length && !cursor) list.append(h("li", { class: "empty" }, `Nothing matches “${q}”.`));
        for (const hit of page.items) list.append(hitItem(hit));
        cursor = page.next_cursor;
      } else if (tab === "trash") {
        const page = await app.api.get<Page<Summary>>(`/documents/trash${cursor ? `?cursor=${cursor}` : ""}`);
        if (!page.items.length && !cursor) list.append(h("li", { class: "empty" }, "The trash is empty."));
        for (const d of page.items) list.append(trashItem(app, d));
        cursor = page.next_cursor;
      } else {
        const page = await app.api.get<Page<Summary>>(`/documents?filter=${tab}&sort=${sort}${cursor ? `&cursor=${cursor}` : ""}`);
        if (!page.items.length && !cursor) list.append(h("li", { class: "empty" }, "No documents yet. Create one above."));
        for (const d of page.items) list.append(docItem(d));
        cursor = page.next_cursor;
      }
      more.hidden = !cursor;
    } catch (err) {
      problem.show(err instanceof ApiError ? err.human : String(err));
    }
  };
  more.addEventListener("click", () => void busy(more, load));
  void load();
  if (!q) title.focus();
}

function docItem(d: Summary): HTMLElement {
  return h(
    "li",
    {},
    h("a", { href: `#/d/${d.id}`, class: "doc-title" }, d.title),
    h("span", { class: "meta" }, `${roleLabel(d.role)} · changed ${formatTime(d.updated_at)}`),
  );
}

function hitItem(hit: Hit): HTMLElement {
  // The snippet is safe HTML by contract (docs/api.md): escaped text and <mark> only. Build
  // it from text nodes anyway, so a server bug could never inject markup here.
  const snippet = h("p", { class: "snippet" });
  for (const [i, part] of hit.snippet.split(/<\/?mark>/).entries()) {
    const text = decodeEntities(part);
    snippet.append(i % 2 ? h("mark", {}, text) : text);
  }
  return h("li", {}, h("a", { href: `#/d/${hit.id}`, class: "doc-title" }, hit.title), snippet);
}

function trashItem(app: App, d: Summary): HTMLElement {
  const restore = h("button", { type: "button" }, "Restore");
  const li = h("li", {}, h("span", { class: "doc-title" }, d.title), h("span", { class: "meta" }, `deleted ${formatTime(d.deleted_at ?? "")}`), restore);
  restore.addEventListener("click", async () => {
    try {
      await busy(restore, () => app.api.post(`/documents/${d.id}/restore`));
      toast(`Restored “${d.title}”.`);
      li.remove();
    } catch (err) {
      toast(err instanceof ApiError ? err.human : String(err), "error");
    }
  });
  return li;
}

function roleLabel(role: string): string {
  return { owner: "Yours", admin: "Admin", write: "Can edit", read: "Can read" }[role] ?? role;
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_m, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", "#x27": "'" })[e] ?? _m);
}

/** Uploads with XMLHttpRequest, the one browser API that reports upload progress. */
function importFile(app: App, f: File, progress: (percent: number) => void): Promise<Summary> {
  return app.auth.token().then(
    (token) =>
      new Promise<Summary>((resolve, reject) => {
        const form = new FormData();
        form.append("file", f, f.name);
        const xhr = new XMLHttpRequest();
        xhr.open("POST", "/documents/import");
        if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
        xhr.upload.onprogress = (e) => e.lengthComputable && progress((100 * e.loaded) / e.total);
        xhr.onerror = () => reject(new ApiError(0, "network", "Network error", undefined));
        xhr.onload = async () => {
          const res = new Response(xhr.responseText, { status: xhr.status, headers: { "content-type": xhr.getResponseHeader("content-type") ?? "" } });
          if (xhr.status >= 200 && xhr.status < 300) resolve((await res.json()) as Summary);
          else reject(await toApiError(res));
        };
        xhr.send(form);
      }),
  );
}
