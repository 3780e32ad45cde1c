// The browser editor's performance targets (issue 12), measured in headless Chromium against a
// release tandem of its own:
//   1. JavaScript and CSS shipped to open the editor, gzipped (target < 250 KB);
//   2. navigation to an editable document of 100 KB and 1 MB (target < 1 s for 100 KB);
//   3. keystroke to local echo while a remote writer types (target p99 < 16 ms);
//   4. a remote change to visible on screen, through the server (target p99 < 50 ms).
// Run it with bench/web.sh, which builds what it needs.

import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { connected, newDocument, person, registered, root, settled, start } from "../web/e2e/harness.mjs";

const KEYS = Number(process.env.KEYS ?? 300);
const CHANGES = Number(process.env.CHANGES ?? 200);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (xs) => `n=${xs.length} p50=${pct(xs, 50).toFixed(1)} p95=${pct(xs, 95).toFixed(1)} p99=${pct(xs, 99).toFixed(1)} max=${Math.max(...xs).toFixed(1)} ms`;

// 1. What index.html loads.
const dist = path.join(root, "web/dist");
const html = readFileSync(path.join(dist, "index.html"), "utf8");
let total = gzipSync(html).length;
for (const f of readdirSync(path.join(dist, "assets"))) {
  if (!/\.(js|css)$/.test(f) || !html.includes(f)) continue;
  const gz = gzipSync(readFileSync(path.join(dist, "assets", f)), { level: 6 }).length;
  console.log(`bundle ${f}: ${(gz / 1024).toFixed(1)} KiB gzipped`);
  total += gz;
}
console.log(`bundle total (index.html + JS + CSS, gzipped): ${(total / 1024).toFixed(1)} KiB`);

const env = await start();
try {
  const ada = person("Ada");
  const grace = person("Grace");
  const a = await registered(env, ada);
  const g = await registered(env, grace);

  // 2. Time to an editable document: navigation start to the text on screen and writable.
  for (const size of [100 * 1024, 1024 * 1024]) {
    const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ";
    const content = line.repeat(Math.ceil(size / line.length)).slice(0, size);
    const doc = await a.page.evaluate(async (content) => {
      const token = await window.tandemApp.auth.token();
      const r = await fetch("/documents", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ title: "Big", content }) });
      return (await r.json()).id;
    }, content);
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const page = await a.context.newPage();
      await page.goto(`/#/d/${doc}`);
      await connected(page);
      const ms = await page.evaluate(() => performance.getEntriesByName("tandem-editable")[0]?.startTime ?? NaN);
      runs.push(ms);
      await page.close();
    }
    console.log(`open ${size / 1024} KiB document to editable: ${fmt(runs)}`);
  }

  // 3 and 4 share a document, shared with Grace.
  const docId = await newDocument(a.page, "Latency");
  await a.page.evaluate(async ({ docId, email }) => {
    const token = await window.tandemApp.auth.token();
    await fetch(`/documents/${docId}/share`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ email, role: "write" }) });
  }, { docId, email: grace.email });
  await g.page.goto(`/#/d/${docId}`);
  await connected(g.page);

  // 3. Local echo: keydown to the DOM showing the character, while Grace types elsewhere.
  await a.page.locator(".cm-content").click();
  const graceTyping = g.page.evaluate(async (n) => {
    const { view } = window.tandemEditor;
    for (let i = 0; i < n; i++) {
      view.dispatch({ changes: { from: 0, insert: "g" } });
      await new Promise((r) => setTimeout(r, 50));
    }
  }, process.env.REMOTE === "0" ? 0 : Math.ceil(KEYS * 1.2)); // REMOTE=0: a baseline with nobody else typing
  await a.page.evaluate(() => {
    window.echo = [];
    let t0 = 0;
    document.addEventListener("keydown", (e) => (t0 = e.timeStamp), true);
    new MutationObserver(() => {
      if (t0) {
        const t = performance.now();
        window.echo.push(t - t0);
        t0 = 0;
      }
    }).observe(document.querySelector(".cm-content"), { childList: true, subtree: true, characterData: true });
  });
  await a.page.keyboard.press("Control+End");
  for (let i = 0; i < KEYS; i++) {
    await a.page.keyboard.type("a");
    await a.page.waitForTimeout(30);
  }
  const echo = await a.page.evaluate(() => window.echo);
  console.log(`keystroke to local echo, remote writer typing: ${fmt(echo)}`);
  await graceTyping;
  await settled(a.page);
  await settled(g.page);

  // 4. Remote change to visible: Ada inserts a marker; Grace's screen shows it.
  await g.page.evaluate(() => {
    window.seen = new Map();
    new MutationObserver(() => {
      const t = performance.timeOrigin + performance.now();
      for (const m of document.querySelector(".cm-content").textContent.matchAll(/§(\d+)§/g)) {
        if (!window.seen.has(m[1])) window.seen.set(m[1], t);
      }
    }).observe(document.querySelector(".cm-content"), { childList: true, subtree: true, characterData: true });
  });
  const sent = [];
  for (let i = 0; i < CHANGES; i++) {
    const t = await a.page.evaluate((i) => {
      const { view } = window.tandemEditor;
      const t = performance.timeOrigin + performance.now();
      view.dispatch({ changes: { from: 0, to: Math.min(view.state.doc.length, 12), insert: `§${i}§ ` } });
      return t;
    }, i);
    sent.push(t);
    await a.page.waitForTimeout(40);
  }
  await a.page.waitForTimeout(500);
  const seen = await g.page.evaluate(() => [...window.seen.entries()]);
  const lat = seen.map(([i, t]) => t - sent[Number(i)]).filter((x) => Number.isFinite(x));
  console.log(`remote change to visible, through the server: ${fmt(lat)} (${CHANGES - lat.length} not seen)`);
  await a.context.close();
  await g.context.close();
} finally {
  await env.stop();
}
