// Starts a tandem of its own for the browser tests: a fresh database, its own Redis key
// prefix, a free port on loopback, the built web app; and Debian's Chromium through
// playwright-core (browser downloads do not work here, and are not wanted in CI).

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
export const shots = path.join(root, "web/test-results/screenshots");

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ["chromium", "chromium-browser"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim();
    } catch {
      // try the next
    }
  }
  throw new Error("Chromium is not installed: apt-get install chromium (scripts/test.sh does)");
}

/** A running tandem and a browser. Call `stop()` when done. */
export async function start() {
  const pg = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432";
  const stamp = Math.floor(Date.now() / 1000);
  const db = `tandem_test_${stamp}_e2e_${process.pid}`;
  execFileSync("psql", [`${pg}/postgres`, "-qc", `CREATE DATABASE ${db}`], { stdio: "inherit" });
  const port = await freePort();
  const bin = process.env.TANDEM_BIN ?? path.join(root, "target/debug/tandem");
  const env = {
    ...process.env,
    TANDEM_CONFIG: "/nonexistent/tandem.toml",
    TANDEM_DATABASE__URL: `${pg}/${db}`,
    TANDEM_REDIS__KEY_PREFIX: `tandem-e2e-${process.pid}-${stamp}:`,
    TANDEM_SERVER__HOST: "127.0.0.1",
    TANDEM_SERVER__PORT: String(port),
    TANDEM_SERVER__MIGRATE_ON_START: "true",
    TANDEM_WEB__DIR: path.join(root, "web/dist"),
    TANDEM_USERS__BCRYPT_COST: "4",
    TANDEM_USERS__RATE_LIMIT__REGISTER_PER_MINUTE: "1000",
    TANDEM_USERS__RATE_LIMIT__LOGIN_PER_MINUTE: "1000",
    TANDEM_USERS__RATE_LIMIT__REFRESH_PER_MINUTE: "1000",
    TANDEM_LOG__LEVEL: process.env.E2E_LOG ?? "warn",
  };
  // Its own working directory, for the development keys it generates.
  const cwd = mkdtempSync(path.join(os.tmpdir(), "tandem-e2e-"));
  const server = spawn(bin, ["serve"], { env, cwd, stdio: ["ignore", "inherit", "inherit"] });
  const base = `http://127.0.0.1:${port}`;
  let browser;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    if (server.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
    }
    execFileSync("psql", [`${pg}/postgres`, "-qc", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], { stdio: "inherit" });
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(`${base}/health/ready`);
        if (r.ok) break;
      } catch {
        // not up yet
      }
      if (i > 300 || server.exitCode !== null) throw new Error("tandem did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await launch();
  } catch (e) {
    await stop();
    throw e;
  }
  mkdirSync(shots, { recursive: true });
  return { base, browser, stop };
}

function launch() {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}

let counter = 0;
/** A unique user. */
export function person(name) {
  counter++;
  const id = `${name.toLowerCase()}${process.pid % 10000}x${counter}`;
  return { name, username: id, email: `${id}@example.com`, password: "plaid umbrella orbit sandwich" };
}

/** Registers through the UI in a new browser context; returns the context and page. */
export async function registered(env, who) {
  const context = await env.browser.newContext({ baseURL: env.base, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${who.name}] page error:`, e));
  await page.goto("/#/register");
  await page.getByLabel("Your name").fill(who.name);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Username").fill(who.username);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: "New document" }).waitFor();
  return { context, page };
}

/** Creates a document from the list page and waits for the editor to be connected. */
export async function newDocument(page, title) {
  await page.getByLabel("Title of the new document").fill(title);
  await page.getByRole("button", { name: "New document" }).click();
  await connected(page);
  return page.url().split("/d/")[1];
}

export async function connected(page) {
  // The editor on screen now must be the one for the page's URL, not one being replaced.
  await page.waitForFunction(() => {
    const e = window.tandemEditor;
    return e && e.view.dom.isConnected && location.hash.startsWith("#/d/");
  });
  await page.locator(".status[data-state=connected]").waitFor();
  await page.waitForFunction(() => {
    const e = window.tandemEditor;
    return e && !e.view.state.readOnly === (e.client.role !== "read");
  });
}

/** The editor's text. */
export const text = (page) => page.evaluate(() => window.tandemEditor.view.state.doc.toString());

/** Waits until nothing typed is waiting for the server. */
export const settled = (page) => page.waitForFunction(() => !window.tandemEditor.client.pending);
