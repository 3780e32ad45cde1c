// The TypeScript transform must agree with tandem-ot exactly, not only converge: the same
// tie-breaks and the same normal form. This test pins the port's output for seeded random
// cases (emoji and same-position inserts included) in a fixture, and
// crates/ot/tests/ts_agreement.rs checks the Rust implementation gives the same output for
// every case. Regenerate after a deliberate change with `UPDATE_FIXTURES=1 npx vitest run`.

import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Operation, transform } from "../src/collab/ot";
import { cpLength } from "../src/collab/text";

const FIXTURE = new URL("./fixtures/transform-cases.json", import.meta.url);

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const alphabet = ["a", "b", " ", "\n", "é", "🦀", "日", "👍🏽"];
function text(r: () => number): string {
  let s = "";
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

// Mostly editor-shaped splices, often at the same position, so ties are common.
function splice(len: number, r: () => number, near?: number): Operation {
  const pos = near !== undefined && r() < 0.6 ? near : Math.floor(r() * (len + 1));
  const deleted = r() < 0.4 ? Math.floor(r() * (len - pos + 1)) : 0;
  return Operation.splice(len, pos, deleted, r() < 0.8 ? text(r) || "x" : "");
}

function cases() {
  const r = rng(2026);
  const out = [];
  for (let i = 0; i < 400; i++) {
    const doc = text(r);
    const len = cpLength(doc);
    const a = splice(len, r);
    const b = splice(len, r, Math.min(len, Math.floor(r() * (len + 1))));
    const [a2, b2] = transform(a, b);
    out.push({ doc, a: a.toJSON(), b: b.toJSON(), a2: a2.toJSON(), b2: b2.toJSON(), result: b2.apply(a.apply(doc)) });
  }
  return out;
}

describe("agreement with tandem-ot", () => {
  it("the committed fixture is what this transform produces", () => {
    const now = cases();
    if (process.env.UPDATE_FIXTURES) writeFileSync(FIXTURE, JSON.stringify(now, null, 0).replace(/\},\{/g, "},\n{") + "\n");
    const fixture = JSON.parse(readFileSync(FIXTURE, "utf8"));
    expect(now).toEqual(fixture);
  });
});
