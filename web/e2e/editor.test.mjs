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
