// Browser tests: real Chromium against a real tandem (PostgreSQL, Redis, WebSockets).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import path from "node:path";
import { connected, newDocument, person, registered, settled, shots, start, text } from "./harness.mjs";

let env;
before(async () => (env = await start()));
after(async () => env && (await env.stop()));

test("a new writer registers, creates a document, types, reloads: the text is there", async () => {
  const { context, page } = await registered(env, person("Ada"));
  await page.screenshot({ path: path.join(shots, "documents.png") });
  await newDocument(page, "First steps");
  await page.locator(".cm-content").click();
  await page.keyboard.type("# Hello\n\nWritten in tandem 🦀 with emoji.");
  await settled(page);
  await page.reload();
  await connected(page);
  assert.equal(await text(page), "# Hello\n\nWritten in tandem 🦀 with emoji.");
  assert.equal(await page.getByLabel("Title").inputValue(), "First steps");
  await context.close();
});

/** Shares `docId` (owned by `owner`'s page) with `who` by email, through the UI. */
async function share(page, who, role) {
  await page.getByRole("button", { name: "Share" }).click();
  await page.getByLabel("Invite by email").fill(who.email);
  await page.locator("#share-role").selectOption(role);
  await page.getByRole("button", { name: "Invite" }).click();
  await page.locator(".collaborators").getByText(who.name, { exact: true }).waitFor();
  await page.getByRole("button", { name: "Share" }).click();
}

async function open(page, docId) {
  await page.goto(`/#/d/${docId}`);
  await connected(page);
}

test("two writers type into one document at once: both screens agree and show the other's cursor", async () => {
  const ada = person("Ada");
  const grace = person("Grace");
  const a = await registered(env, ada);
  const g = await registered(env, grace);
  const docId = await newDocument(a.page, "Together");
  await share(a.page, grace, "write");
  await open(g.page, docId);

  // Ada has written two lines; each writer types at the end of one, at the same time.
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("Agenda:\nNotes:");
  await settled(a.page);
  await g.page.waitForFunction(() => window.tandemEditor.view.state.doc.toString() === "Agenda:\nNotes:");
  await a.page.evaluate(() => window.tandemEditor.view.dispatch({ selection: { anchor: 7 } }));
  await g.page.evaluate(() => window.tandemEditor.view.dispatch({ selection: { anchor: 14 } }));
  await a.page.locator(".cm-content").focus();
  await g.page.locator(".cm-content").focus();
  await Promise.all([
    a.page.keyboard.type(" budget 🌸 and hiring", { delay: 10 }),
    g.page.keyboard.type(" Grace writes too 🚀!", { delay: 10 }),
  ]);
  await settled(a.page);
  await settled(g.page);
  const expected = "Agenda: budget 🌸 and hiring\nNotes: Grace writes too 🚀!";
  await a.page.waitForFunction((t) => window.tandemEditor.view.state.doc.toString() === t, expected);
  await g.page.waitForFunction((t) => window.tandemEditor.view.state.doc.toString() === t, expected);

  // Each sees the other's cursor, labelled with the right name.
  await a.page.locator(".cm-remote-label", { hasText: "Grace" }).waitFor();
  await g.page.locator(".cm-remote-label", { hasText: "Ada" }).waitFor();
  await a.page.locator(".people").getByText("Grace").waitFor();
  await a.page.screenshot({ path: path.join(shots, "editor-two-cursors.png") });

  // The authors view colours each part of the text by who wrote it.
  await a.page.getByRole("button", { name: "Authors" }).click();
  await a.page.locator(".cm-author[data-author='Grace']").first().waitFor();
  const byAuthor = await a.page.evaluate(() => {
    const out = {};
    for (const e of document.querySelectorAll(".cm-author")) {
      // Only the text: not the name labels of the cursors drawn inside it.
      const copy = e.cloneNode(true);
      for (const label of copy.querySelectorAll(".cm-remote-label")) label.remove();
      out[e.dataset.author] = (out[e.dataset.author] ?? "") + copy.textContent;
    }
    return out;
  });
  assert.equal(byAuthor.Grace, " Grace writes too 🚀!");
  assert.equal(byAuthor.Ada, "Agenda: budget 🌸 and hiringNotes:");
  await a.page.screenshot({ path: path.join(shots, "editor-authors.png") });
  await a.context.close();
  await g.context.close();
});

/** Ada writes two steps (a pause between), then Grace writes at the start: the same
 * session on a fresh document each time it is called. Returns the pages and document. */
async function twoStepSession(a, g, grace, title) {
  await a.page.goto("/#/");
  const docId = await newDocument(a.page, title);
  await share(a.page, grace, "write");
  await open(g.page, docId);
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("Hello world", { delay: 20 });
  await settled(a.page);
  await a.page.waitForTimeout(1500); // a pause: the next keystrokes are a new step
  await a.page.keyboard.type("!!", { delay: 20 });
  await settled(a.page);
  await g.page.waitForFunction(() => window.tandemEditor.view.state.doc.toString() === "Hello world!!");
  await g.page.evaluate(() => window.tandemEditor.view.dispatch({ selection: { anchor: 0 } }));
  await g.page.locator(".cm-content").focus();
  await g.page.keyboard.type("Grace: ", { delay: 20 });
  await settled(g.page);
  await a.page.waitForFunction(() => window.tandemEditor.view.state.doc.toString() === "Grace: Hello world!!");
  return docId;
}

const shows = (page, t) => page.waitForFunction((t) => window.tandemEditor.view.state.doc.toString() === t && !window.tandemEditor.client.pending, t);

test("undo in the browser and undo in the service give the same text, and only take back the writer's own steps", async () => {
  const ada = person("Ada");
  const grace = person("Grace");
  const a = await registered(env, ada);
  const g = await registered(env, grace);

  // The browser's own history (Ctrl+Z), its undos sent flagged.
  await twoStepSession(a, g, grace, "Undo in the browser");
  await a.page.locator(".cm-content").focus();
  await a.page.keyboard.press("Control+z");
  await shows(a.page, "Grace: Hello world");
  const browserFirst = await text(a.page);
  await a.page.keyboard.press("Control+z");
  await shows(a.page, "Grace: ");
  const browserSecond = await text(a.page);
  await shows(g.page, "Grace: ");
  // The service recognised them as Ada's undos: its redo puts her text back.
  await a.page.evaluate(() => window.tandemEditor.connection.send({ type: "redo" }));
  await shows(g.page, "Grace: Hello world");
  await shows(a.page, "Grace: Hello world");

  // The same session, undone by the service (the `undo` message).
  await twoStepSession(a, g, grace, "Undo in the service");
  await a.page.evaluate(() => window.tandemEditor.connection.send({ type: "undo" }));
  await shows(a.page, browserFirst);
  await a.page.evaluate(() => window.tandemEditor.connection.send({ type: "undo" }));
  await shows(a.page, browserSecond);
  await shows(g.page, browserSecond);
  await a.context.close();
  await g.context.close();
});

test("a writer whose socket is cut keeps typing; when it returns nothing is lost on either side", async () => {
  const ada = person("Ada");
  const grace = person("Grace");
  const a = await registered(env, ada);
  const g = await registered(env, grace);
  const docId = await newDocument(a.page, "Flaky network");
  await share(a.page, grace, "write");
  await open(g.page, docId);
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("online. ");
  await settled(a.page);

  // Cut Ada's socket and refuse new ones (context.setOffline does not cut WebSockets).
  let refuse = true;
  const live = [];
  await a.page.routeWebSocket(/\/collab\//, (ws) => {
    if (refuse) return ws.close({ code: 1006 });
    live.push(ws.connectToServer());
  });
  await a.page.evaluate(() => window.tandemEditor.connection.restart());
  await a.page.locator(".status:not([data-state=connected])").waitFor();
  await a.page.keyboard.type("typed while cut off 📴. ");
  await g.page.locator(".cm-content").click();
  await g.page.keyboard.press("Control+End");
  await g.page.keyboard.type("Grace meanwhile. ");
  await settled(g.page);
  assert.equal(await a.page.evaluate(() => window.tandemEditor.client.pending), true);

  refuse = false;
  await a.page.locator(".status[data-state=connected]").waitFor({ timeout: 40_000 });
  await settled(a.page);
  await g.page.waitForFunction(() => window.tandemEditor.view.state.doc.toString().includes("📴"));
  const [ta, tg] = [await text(a.page), await text(g.page)];
  assert.equal(ta, tg);
  for (const part of ["online. ", "typed while cut off 📴. ", "Grace meanwhile. "]) assert.ok(ta.includes(part), `${part} in ${ta}`);
  await a.context.close();
  await g.context.close();
});

test("a reader cannot type; sharing with write lets them", async () => {
  const ada = person("Ada");
  const bob = person("Bob");
  const a = await registered(env, ada);
  const b = await registered(env, bob);
  const docId = await newDocument(a.page, "Read me");
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("Only Ada writes.");
  await settled(a.page);
  await share(a.page, bob, "read");
  await open(b.page, docId);
  await b.page.getByText("You can read this document live, but not edit it.").waitFor();
  await b.page.locator(".cm-content").click();
  await b.page.keyboard.type("Bob tries");
  assert.equal(await text(b.page), "Only Ada writes.");
  await b.page.screenshot({ path: path.join(shots, "reader.png") });

  // Raised to write while connected: Bob can type at once.
  await share(a.page, bob, "write");
  await b.page.waitForFunction(() => !window.tandemEditor.view.state.readOnly, null, { timeout: 15_000 });
  await b.page.locator(".cm-content").click();
  await b.page.keyboard.press("Control+End");
  await b.page.keyboard.type(" Bob too.");
  await settled(b.page);
  await a.page.waitForFunction(() => window.tandemEditor.view.state.doc.toString() === "Only Ada writes. Bob too.");
  await a.context.close();
  await b.context.close();
});

test("history shows a version, its diff, and restores it", async () => {
  const { context, page } = await registered(env, person("Ada"));
  const docId = await newDocument(page, "Versions");
  await page.locator(".cm-content").click();
  await page.keyboard.type("first draft");
  await settled(page);
  await page.evaluate(() => window.tandemEditor.client.save());
  await page.getByText(/Saved as version/).waitFor();
  await page.keyboard.press("Control+a");
  await page.keyboard.type("second thoughts");
  await settled(page);
  await page.evaluate(() => window.tandemEditor.client.save());
  await page.waitForFunction(() => document.querySelector(".saved")?.textContent?.match(/version [3-9]/));

  await page.getByRole("button", { name: "History" }).click();
  await page.getByRole("button", { name: "Version 2" }).click();
  await page.locator(".diff .line.delete", { hasText: "first draft" }).waitFor();
  await page.locator(".diff .line.insert", { hasText: "second thoughts" }).waitFor();
  await page.screenshot({ path: path.join(shots, "history.png") });
  page.once("dialog", (d) => d.accept());
  await page.locator(".versions li", { hasText: "Version 2" }).getByRole("button", { name: "Restore" }).click();
  await page.waitForFunction(() => window.tandemEditor.view.state.doc.toString() === "first draft", null, { timeout: 15_000 });
  void docId;
  await context.close();
});

test("search finds a document and opens it", async () => {
  const { context, page } = await registered(env, person("Ada"));
  await newDocument(page, "Garden plans");
  await page.locator(".cm-content").click();
  await page.keyboard.type("Tomatoes along the south fence, basil between them.");
  await settled(page);
  await page.evaluate(() => window.tandemEditor.client.save());
  await page.getByText(/Saved as version/).waitFor();
  await page.goto("/#/");
  await page.getByLabel("Search documents").fill("tomatoes");
  await page.getByRole("button", { name: "Search" }).click();
  const hit = page.locator(".doc-list li", { hasText: "Garden plans" });
  await hit.locator("mark").first().waitFor();
  await page.screenshot({ path: path.join(shots, "search.png") });
  await hit.getByRole("link", { name: "Garden plans" }).click();
  await connected(page);
  assert.ok((await text(page)).startsWith("Tomatoes"));
  await context.close();
});

test("random concurrent edits, emoji and same-position inserts included, converge with the server", async () => {
  const ada = person("Ada");
  const grace = person("Grace");
  const a = await registered(env, ada);
  const g = await registered(env, grace);
  const docId = await newDocument(a.page, "Fuzz");
  await share(a.page, grace, "write");
  await open(g.page, docId);
  // Each page makes random CodeMirror edits through the real binding, many of them at the
  // start of the text (so inserts tie), while the other does the same.
  const fuzz = (page, seed) =>
    page.evaluate(async (seed) => {
      let s = seed;
      const r = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
      const pieces = ["a", "Z", " ", "\n", "é", "🦀", "日本", "👍🏽", "∑"];
      const { view } = window.tandemEditor;
      for (let i = 0; i < 150; i++) {
        const doc = view.state.doc;
        let from = r() < 0.3 ? 0 : Math.floor(r() * (doc.length + 1));
        // Never split a surrogate pair: CodeMirror offsets are UTF-16.
        const code = doc.sliceString(Math.max(0, from - 1), from).charCodeAt(0);
        if (code >= 0xd800 && code <= 0xdbff) from -= 1;
        let to = Math.min(doc.length, from + (r() < 0.3 ? Math.floor(r() * 4) : 0));
        const end = doc.sliceString(Math.max(0, to - 1), to).charCodeAt(0);
        if (end >= 0xd800 && end <= 0xdbff) to = Math.min(doc.length, to + 1);
        view.dispatch({ changes: { from, to, insert: r() < 0.85 ? pieces[Math.floor(r() * pieces.length)] : "" } });
        if (r() < 0.3) await new Promise((res) => setTimeout(res, Math.floor(r() * 15)));
      }
    }, seed);
  await Promise.all([fuzz(a.page, 17), fuzz(g.page, 99)]);
  await settled(a.page);
  await settled(g.page);
  let ta, tg;
  for (let i = 0; i < 100; i++) {
    [ta, tg] = [await text(a.page), await text(g.page)];
    if (ta === tg) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(ta, tg);
  // A third editor loads the server's text: the same.
  const third = await a.context.newPage();
  await third.goto(`/#/d/${docId}`);
  await connected(third);
  assert.equal(await text(third), ta);
  await a.context.close();
  await g.context.close();
});

test("the account page lists sessions and ends another device's, which is sent to sign in", async () => {
  const ada = person("Ada");
  const a = await registered(env, ada);
  // A second device: sign in through the form.
  const other = await env.browser.newContext({ baseURL: env.base });
  const b = await other.newPage();
  await b.goto("/");
  await b.getByLabel("Email or username").fill(ada.username);
  await b.getByLabel("Password").fill(ada.password);
  await b.getByRole("button", { name: "Sign in" }).click();
  await b.getByRole("button", { name: "New document" }).waitFor();

  await a.page.getByRole("link", { name: "Ada" }).click();
  const sessions = a.page.locator(".sessions li");
  await sessions.nth(1).waitFor();
  assert.equal(await sessions.count(), 2);
  await a.page.screenshot({ path: path.join(shots, "account.png") });
  await a.page.locator(".sessions li", { hasNotText: "(this device)" }).getByRole("button", { name: "End session" }).click();
  await a.page.waitForFunction(() => document.querySelectorAll(".sessions li").length === 1);

  // The ended device finds out on its next request and is asked to sign in.
  await b.reload();
  await b.getByRole("button", { name: "Sign in" }).waitFor();
  await other.close();

  // A phone-sized window: the editor and its panels stack and stay usable.
  await a.page.setViewportSize({ width: 390, height: 844 });
  await a.page.goto("/#/");
  await newDocument(a.page, "On the phone");
  await a.page.locator(".cm-content").click();
  await a.page.keyboard.type("Typed on a narrow screen.");
  await a.page.getByRole("button", { name: "Share" }).click();
  await a.page.getByLabel("Invite by email").waitFor();
  await settled(a.page);
  await a.page.screenshot({ path: path.join(shots, "narrow.png"), fullPage: true });
  await a.context.close();
});

test("registration shows the password policy's verdict as the person types", async () => {
  const context = await env.browser.newContext({ baseURL: env.base });
  const page = await context.newPage();
  await page.goto("/#/register");
  await page.getByLabel("Username").fill("lovelace");
  const password = page.getByLabel("Password");
  const note = page.locator("#new-password-note");
  await password.fill("short");
  await note.getByText("at least 12 characters (5 so far)").waitFor();
  await password.fill("password1234");
  await note.getByText(/too easy to guess/).waitFor();
  await password.fill("plaid umbrella orbit sandwich");
  await note.getByText("Strong enough.").waitFor();
  await context.close();
});

test("import a file, attach an image, export, copy, template, trash and restore, sign out", async () => {
  const { context, page } = await registered(env, person("Ada"));
  // Import by picking a file.
  await page.locator("#import-file").setInputFiles({ name: "notes.md", mimeType: "text/markdown", buffer: Buffer.from("# Imported\n\nFrom a file 📄.\n") });
  await connected(page);
  assert.equal(await text(page), "# Imported\n\nFrom a file 📄.\n");
  assert.equal(await page.getByLabel("Title").inputValue(), "notes");

  // Paste an image: uploaded as an attachment and linked; the preview shows it.
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
  await page.evaluate((b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], "dot.png", { type: "image/png" }));
    document.querySelector(".cm-content").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, png);
  await page.waitForFunction(() => /!\[dot\.png\]\(\/documents\/[^)]+\/attachments\/[^)]+\)/.test(window.tandemEditor.view.state.doc.toString()));
  await settled(page);
  await page.getByRole("button", { name: "Preview" }).click();
  await page.locator(".preview img[src^='blob:']").waitFor();
  await page.getByRole("button", { name: "Write" }).click();

  // Export as Markdown: the download holds the text.
  await page.evaluate(() => window.tandemEditor.client.save());
  await page.getByText(/Saved as version/).waitFor();
  await page.getByRole("button", { name: "More" }).click();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Markdown" }).click()]);
  const chunks = [];
  for await (const c of await download.createReadStream()) chunks.push(c);
  assert.ok(Buffer.concat(chunks).toString("utf8").startsWith("# Imported"));

  // Make it a template; a copy; then trash the original and restore it.
  await page.getByRole("button", { name: "Make a template" }).click();
  await page.getByRole("button", { name: "Stop being a template" }).waitFor();
  const original = page.url();
  await page.getByRole("button", { name: "Make a copy" }).click();
  await page.waitForURL((u) => u.href !== original);
  await connected(page);
  assert.ok((await text(page)).startsWith("# Imported"));
  await page.goto("/#/");
  await page.locator("#new-template option", { hasText: "Template: notes" }).waitFor({ state: "attached" });
  await page.locator(".doc-list li").nth(1).waitFor();
  await page.locator(".doc-list a", { hasText: "notes" }).last().click();
  await connected(page);
  await page.getByRole("button", { name: "More" }).click();
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Move to trash" }).click();
  const trashed = page.locator(".doc-list li", { hasText: "notes" });
  await trashed.getByRole("button", { name: "Restore" }).click();
  await page.getByText(/Restored/).waitFor();

  // Sign out: the session ends and the app asks to sign in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await page.reload();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await context.close();
});
