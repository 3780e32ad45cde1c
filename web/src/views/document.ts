// The editor page: the text, who is here, the connection state, and the document's panels.

import { EditorView } from "@codemirror/view";
import { ApiError } from "../api";
import type { App, Cleanup } from "../app";
import { CollabClient } from "../collab/client";
import type { ClientEvent } from "../collab/client";
import { Connection } from "../collab/connection";
import type { Status } from "../collab/connection";
import type { Participant, Role } from "../collab/protocol";
import { CollabView, collab } from "../editor/collab";
import { editorExtensions, setReadOnly } from "../editor/setup";
import { h, mount, problemBox, toast } from "../ui/dom";
import { actionsPanel, historyPanel, sharePanel } from "./panels";
import { authorsView, hideAuthors, showAuthors } from "../editor/authors";
import type { Authorship } from "../editor/authors";
import { renderPreview } from "./preview";

export interface DocumentInfo {
  id: string;
  title: string;
  version: number;
  role: Role;
  owner_id: string;
  is_template?: boolean;
}

export function documentView(app: App, root: HTMLElement, id: string): Cleanup {
  const problem = problemBox();
  const title = h("input", { class: "doc-title-input", id: "doc-title", "aria-label": "Title", value: "", disabled: true });
  const status = h("span", { class: "status", role: "status", "aria-live": "polite" }, "Connecting…");
  const saved = h("span", { class: "saved", "aria-live": "polite" });
  const people = h("ul", { class: "people", "aria-label": "People here" });
  const banner = h("p", { class: "banner", hidden: true });
  const editorEl = h("div", { class: "editor" });
  const previewEl = h("article", { class: "preview", "aria-label": "Preview", hidden: true });
  const side = h("aside", { class: "side", hidden: true });
  const layout = h("div", { class: "doc-body" }, editorEl, previewEl, side);
  let mode: "edit" | "split" | "preview" = "edit";
  const modeButtons = (["edit", "split", "preview"] as const).map((m) =>
    h("button", { type: "button", class: "seg", "aria-pressed": String(m === mode), onclick: () => setMode(m) }, { edit: "Write", split: "Side by side", preview: "Preview" }[m]),
  );
  let authorsOn = false;
  const authorsButton = h(
    "button",
    { type: "button", "aria-pressed": "false", title: "Colour the text by who wrote it", onclick: () => toggleAuthors() },
    "Authors",
  );
  let panel: string | null = null;
  const panelButtons = (["history", "share", "more"] as const).map((p) =>
    h("button", { type: "button", "aria-expanded": "false", "aria-controls": "side", onclick: () => togglePanel(p) }, { history: "History", share: "Share", more: "More" }[p]),
  );
  side.id = "side";
  mount(
    root,
    h(
      "section",
      { class: "doc-page" },
      h("div", { class: "doc-head" }, title, h("div", { class: "doc-state" }, status, saved), people),
      h("div", { class: "doc-tools" }, h("div", { class: "segmented", role: "group", "aria-label": "View" }, modeButtons), h("div", { class: "spacer" }), authorsButton, panelButtons),
      banner,
      problem.el,
      layout,
    ),
  );

  let info: DocumentInfo | null = null;
  let role: Role = "read";
  let cv: CollabView | null = null;
  let closed = false;
  const clientId = crypto.randomUUID(); // one per editor instance, never shared between tabs

  const view = new EditorView({
    parent: editorEl,
    extensions: editorExtensions([
      collab(() => cv),
      authorsView(),
      EditorView.updateListener.of((u) => {
        if (u.docChanged && mode !== "edit") schedulePreview();
        if (u.docChanged && authorsOn) scheduleAuthors(1000);
      }),
      EditorView.domEventHandlers({
        drop: (e) => onFiles(e.dataTransfer?.files, e),
        paste: (e) => onFiles(e.clipboardData?.files, e),
      }),
    ]),
  });

  const client = new CollabClient(clientId, {
    send: (m) => connection.send(m),
    applyRemote: (op) => cv?.applyRemote(op),
    reset: (content) => cv?.reset(content),
    reconnect: () => connection.restart(),
    notify: (e) => onEvent(e),
  });
  cv = new CollabView(view, {
    local: (op, selection, kind) => client.localChange(op, selection, kind),
    selection: (selection) => sendCursor(selection),
  });

  let cursorTimer: ReturnType<typeof setTimeout> | undefined;
  let lastCursor = "";
  function sendCursor(selection = cv!.selectionCp()) {
    clearTimeout(cursorTimer);
    cursorTimer = setTimeout(() => {
      const key = `${selection.anchor}:${selection.head}:${client.revision}`;
      if (key !== lastCursor && client.cursor(selection)) lastCursor = key;
    }, 40);
  }

  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const connection = new Connection({
    url: `${proto}//${location.host}/collab/${id}`,
    client,
    token: (fresh) => app.auth.token(fresh),
    status: (s) => onStatus(s),
  });

  function onStatus(s: Status) {
    status.dataset.state = s.state;
    status.textContent = {
      connecting: "Connecting…",
      connected: "Connected",
      reconnecting: "Reconnecting…",
      offline: "Offline — your changes are kept and sent when you are back",
      closed: "Disconnected",
    }[s.state];
    if (s.state === "closed") {
      const why: Record<number, string> = {
        4401: "Your session has ended. Sign in again to keep editing.",
        4403: "Your access to this document was removed.",
        4404: "This document does not exist, was moved to the trash, or is not shared with you.",
        4409: "This document was opened again in another editor of this tab.",
        4413: "A change was too large to send.",
      };
      banner.hidden = false;
      banner.textContent = why[s.code] ?? `The connection closed (${s.reason || s.code}).`;
      setReadOnly(view, true);
      if (s.code === 4401) app.auth.sessionEnded();
    }
  }

  function onEvent(e: ClientEvent) {
    switch (e.type) {
      case "welcome": {
        role = e.welcome.role;
        title.value = e.welcome.document.title;
        document.title = `${e.welcome.document.title} · tandem`;
        applyRole();
        if (!saved.textContent) {
          saved.textContent = `Version ${e.welcome.document.version}`;
          // The first frame with the text on screen and writable (bench/web.mjs reads it).
          requestAnimationFrame(() => performance.mark("tandem-editable"));
        }
        if (mode !== "edit") schedulePreview();
        return;
      }
      case "participants":
        // Coalesced to one redraw a frame: every remote change moves the cursors.
        if (!peopleFrame) peopleFrame = requestAnimationFrame(() => ((peopleFrame = 0), showPeople(client.participants)));
        return;
      case "pending":
        if (e.pending) saved.textContent = "Saving…";
        else saved.textContent = "All changes saved";
        saved.dataset.state = e.pending ? "pending" : "committed";
        return;
      case "saved":
        saved.textContent = `Saved as version ${e.version}`;
        saved.dataset.state = "saved";
        if (info) info.version = e.version;
        return;
      case "role":
        role = e.role;
        applyRole();
        toast(e.role === "read" ? "You can now only read this document." : "You can now edit this document.");
        return;
      case "title":
        title.value = e.title;
        document.title = `${e.title} · tandem`;
        return;
      case "error":
        if (e.code === "read_only") {
          role = "read";
          applyRole();
        } else if (!["rate_limited", "storage_unavailable", "fanout_unavailable"].includes(e.code)) {
          toast(e.message, "error");
        }
        return;
    }
  }

  function applyRole() {
    const reader = role === "read";
    setReadOnly(view, reader);
    title.disabled = reader;
    banner.hidden = !reader;
    if (reader) banner.textContent = "You can read this document live, but not edit it. Ask its owner for write access.";
    view.contentDOM.setAttribute("aria-readonly", String(reader));
    if (info) info.role = role;
  }

  let peopleFrame = 0;
  let peopleKey = "";
  function showPeople(map: Map<string, Participant>) {
    const others = [...map.values()].filter((p) => p.session_id !== client.sessionId);
    const key = others.map((p) => `${p.session_id}:${p.display_name}:${p.color}`).join("|");
    if (key !== peopleKey) {
      peopleKey = key;
      mount(
        people,
      others.map((p) =>
          h("li", { class: "person", title: p.display_name }, h("span", { class: "dot", style: `background:${p.color}` }), p.display_name),
        ),
      );
    }
    cv?.showParticipants(others.map((p) => ({ participant: p, selection: p.selection ? client.toLocal(p.selection) : null })));
  }

  // The title is edited in place and saved through the Document Service.
  let titleBefore = "";
  title.addEventListener("focus", () => (titleBefore = title.value));
  title.addEventListener("keydown", (e) => {
    if (e.key === "Enter") title.blur();
    if (e.key === "Escape") (title.value = titleBefore), title.blur();
  });
  title.addEventListener("change", async () => {
    const next = title.value.trim();
    if (!next || next === titleBefore) return (title.value = titleBefore);
    problem.show(null);
    try {
      const current = await app.api.get<DocumentInfo>(`/documents/${id}`);
      await app.api.put(`/documents/${id}`, { title: next, version: current.version });
      document.title = `${next} · tandem`;
    } catch (err) {
      title.value = titleBefore;
      problem.show(err instanceof ApiError ? `The title was not changed: ${err.human}` : String(err));
    }
  });

  // The preview follows the text, at most a few times a second.
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => renderPreview(app, previewEl, id, view.state.doc.toString()), 250);
  }
  function setMode(m: typeof mode) {
    mode = m;
    modeButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(["edit", "split", "preview"][i] === m)));
    editorEl.hidden = m === "preview";
    previewEl.hidden = m === "edit";
    layout.dataset.mode = m;
    if (m !== "edit") renderPreview(app, previewEl, id, view.state.doc.toString());
  }

  // The authors view: fetched for the revision this editor is synchronized at.
  let authorsTimer: ReturnType<typeof setTimeout> | undefined;
  function toggleAuthors() {
    authorsOn = !authorsOn;
    authorsButton.setAttribute("aria-pressed", String(authorsOn));
    clearTimeout(authorsTimer);
    if (authorsOn) void refreshAuthors();
    else hideAuthors(view);
  }
  function scheduleAuthors(ms: number) {
    clearTimeout(authorsTimer);
    authorsTimer = setTimeout(() => void refreshAuthors(), ms);
  }
  async function refreshAuthors() {
    const revision = client.revision;
    if (!authorsOn || closed) return;
    if (revision === null || client.pending) return scheduleAuthors(300);
    try {
      const a = await app.api.get<Authorship>(`/collab/${id}/authorship?revision=${revision}`);
      if (!authorsOn || closed) return;
      if (client.revision !== revision || client.pending) return scheduleAuthors(300);
      showAuthors(view, a);
    } catch (err) {
      problem.show(err instanceof ApiError ? `Authorship could not be shown: ${err.human}` : String(err));
    }
  }

  function togglePanel(p: "history" | "share" | "more") {
    panel = panel === p ? null : p;
    panelButtons.forEach((b, i) => b.setAttribute("aria-expanded", String(["history", "share", "more"][i] === panel)));
    side.hidden = panel === null;
    if (!panel || !info) return mount(side);
    const d = { ...info, role };
    if (panel === "history") historyPanel(app, side, d);
    if (panel === "share") sharePanel(app, side, d);
    if (panel === "more") actionsPanel(app, side, d);
  }

  // Files dropped or pasted into the text are uploaded as attachments and linked.
  function onFiles(files: FileList | null | undefined, e: Event): boolean {
    if (!files || files.length === 0 || role === "read") return false;
    e.preventDefault();
    for (const f of files) void attach(f);
    return true;
  }
  async function attach(f: File) {
    const at = view.state.selection.main.head;
    const marker = `[Uploading ${f.name}…]`;
    view.dispatch({ changes: { from: at, insert: marker } });
    try {
      const form = new FormData();
      form.append("file", f, f.name);
      const a = await app.api.request<{ id: string; filename: string; content_type: string }>("POST", `/documents/${id}/attachments`, { raw: form });
      const link = `${a.content_type.startsWith("image/") ? "!" : ""}[${a.filename}](/documents/${id}/attachments/${a.id})`;
      replaceMarker(marker, link);
    } catch (err) {
      replaceMarker(marker, "");
      toast(err instanceof ApiError ? `Could not attach ${f.name}: ${err.human}` : String(err), "error");
    }
  }
  function replaceMarker(marker: string, text: string) {
    const doc = view.state.doc.toString();
    const i = doc.indexOf(marker);
    if (i >= 0) view.dispatch({ changes: { from: i, to: i + marker.length, insert: text } });
  }

  // Load the document's metadata, then connect.
  void app.api
    .get<DocumentInfo>(`/documents/${id}`)
    .then((d) => {
      if (closed) return;
      info = d;
      role = d.role;
      title.value = d.title;
      document.title = `${d.title} · tandem`;
      connection.start();
    })
    .catch((err) => {
      problem.show(err instanceof ApiError && err.status === 404 ? "This document does not exist, is in the trash, or is not shared with you." : err instanceof ApiError ? err.human : String(err));
      status.textContent = "";
    });

  // Warn before leaving with changes the server has not confirmed.
  const beforeUnload = (e: BeforeUnloadEvent) => {
    if (client.pending) e.preventDefault();
  };
  window.addEventListener("beforeunload", beforeUnload);
  // For the browser tests and benchmarks, which drive and read the editor.
  (window as unknown as { tandemEditor?: unknown }).tandemEditor = { view, client, connection };
  view.focus();

  return () => {
    closed = true;
    clearTimeout(authorsTimer);
    window.removeEventListener("beforeunload", beforeUnload);
    connection.stop();
    view.destroy();
    document.title = "tandem";
  };
}
