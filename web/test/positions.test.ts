import { ChangeSet, Text } from "@codemirror/state";
import { describe, expect, it } from "vitest";
import { Operation } from "../src/collab/ot";
import { PositionMap } from "../src/collab/positions";
import { cpLength } from "../src/collab/text";
import { changesToOp, opToChanges } from "../src/editor/changes";

const doc = (s: string) => Text.of(s.split("\n"));

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

// Brute force: the code point offset of a UTF-16 offset.
const cpOf = (s: string, u: number) => cpLength(s.slice(0, u));

describe("the UTF-16 ↔ code point map", () => {
  it("is the identity for text without astral characters", () => {
    const map = new PositionMap(doc("héllo\nwörld"));
    expect(map.identity).toBe(true);
    expect(map.toCp(8)).toBe(8);
    expect(map.toUtf16(8)).toBe(8);
  });

  it("counts an emoji as one code point on any line", () => {
    const text = "a🦀b\n\nc👍🏽d🦀";
    const map = new PositionMap(doc(text));
    for (let u = 0; u <= text.length; u++) {
      const high = u > 0 && /[\uD800-\uDBFF]/.test(text[u - 1]);
      if (high) continue; // inside a pair: not a position
      expect(map.toCp(u)).toBe(cpOf(text, u));
      expect(map.toUtf16(cpOf(text, u))).toBe(u);
    }
  });

  it("stays right through random edits, and ops round-trip with CodeMirror changes", () => {
    const r = rng(11);
    const pieces = ["a", "\n", "🦀", "é", "日本", "👍🏽", "xyz"];
    let text = "start🦀\n";
    let state = doc(text);
    const map = new PositionMap(state);
    for (let i = 0; i < 1500; i++) {
      // A random splice at a code point boundary.
      const len = cpLength(text);
      const from = Math.floor(r() * (len + 1));
      const to = Math.min(len, from + (r() < 0.5 ? 0 : Math.floor(r() * 4)));
      let ins = "";
      for (let k = Math.floor(r() * 3); k > 0; k--) ins += pieces[Math.floor(r() * pieces.length)];
      const op = Operation.splice(len, from, to - from, ins);
      // Into CodeMirror changes and back into the same operation.
      const changes = ChangeSet.of(opToChanges(op, map), state.length);
      expect(changesToOp(changes, map).toJSON()).toEqual(op.toJSON());
      const next = changes.apply(state);
      text = op.apply(text);
      expect(next.toString()).toBe(text);
      map.update(next, changes);
      state = next;
      const u = Math.floor(r() * (text.length + 1));
      if (!(u > 0 && /[\uD800-\uDBFF]/.test(text[u - 1]))) {
        expect(map.toCp(u)).toBe(cpOf(text, u));
        expect(map.toUtf16(cpOf(text, u))).toBe(u);
      }
    }
  });
});

describe("text the server can take", () => {
  it("replaces lone surrogates as they are typed or pasted, and keeps lines as \\n", async () => {
    const { EditorState } = await import("@codemirror/state");
    const { wellFormed } = await import("../src/editor/collab");
    let state = EditorState.create({ doc: "ok", extensions: [wellFormed] });
    state = state.update({ changes: { from: 2, insert: "\uD83E half, and 🦀 whole" } }).state;
    expect(state.doc.toString()).toBe("ok\uFFFD half, and 🦀 whole");
    state = state.update({ changes: { from: 0, insert: "a\r\nb\rc\n" } }).state;
    expect(state.doc.toString().includes("\r")).toBe(false);
    expect(state.doc.lines).toBe(4);
  });
});
