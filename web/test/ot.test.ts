import { describe, expect, it } from "vitest";
import { Operation, transform, transformPosition } from "../src/collab/ot";
import { diffText } from "../src/collab/diff";
import { cpLength } from "../src/collab/text";

const op = (...c: (number | string)[]) => Operation.fromJSON(c);

describe("operations", () => {
  it("normalise like tandem-ot: merged runs, insert before delete", () => {
    const o = new Operation().retain(2).retain(3).delete(1).insert("a").insert("b").delete(2);
    expect(o.toJSON()).toEqual([5, "ab", -3]);
    expect(o.baseLength).toBe(8);
    expect(o.targetLength).toBe(7);
  });

  it("count emoji as one code point", () => {
    const o = Operation.splice(cpLength("a🦀b"), 2, 1, "🎉");
    expect(o.toJSON()).toEqual([2, "🎉", -1]);
    expect(o.apply("a🦀b")).toBe("a🦀🎉");
  });

  it("refuse what the server refuses", () => {
    for (const bad of [[0], [""], [1.5], [null], "abc"]) {
      expect(() => Operation.fromJSON(bad)).toThrow();
    }
  });

  it("compose into one operation with the effect of both", () => {
    const a = op(3, "👍");
    const b = op(-1, 3);
    expect(a.compose(b).apply("abc")).toBe("bc👍");
  });

  it("transform with the first argument winning ties (the protocol's worked tie)", () => {
    const alice = op(1, "X", 1);
    const bob = op(1, "Y", 1);
    const [a2, b2] = transform(alice, bob);
    expect(b2.apply(alice.apply("ab"))).toBe("aXYb");
    expect(a2.apply(bob.apply("ab"))).toBe("aXYb");
    expect(a2.toJSON()).toEqual([1, "X", 2]);
  });

  it("move positions through inserts and deletes", () => {
    expect(transformPosition(2, op(1, "xy", 2))).toBe(4);
    expect(transformPosition(2, op(2, "xy", 1))).toBe(4);
    expect(transformPosition(2, op(2, "xy", 1), true)).toBe(2);
    expect(transformPosition(3, op(1, -3))).toBe(1);
  });
});

// A seeded generator so a failure can be replayed.
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}
const alphabet = ["a", "b", "\n", "é", "🦀", "日", "👍🏽"];
function randomOp(text: string, r: () => number): Operation {
  const len = cpLength(text);
  const o = new Operation();
  let left = len;
  while (left > 0 || r() < 0.3) {
    const k = r();
    if (k < 0.4 && left > 0) {
      const n = 1 + Math.floor(r() * left);
      o.retain(n);
      left -= n;
    } else if (k < 0.7 && left > 0) {
      const n = 1 + Math.floor(r() * Math.min(left, 3));
      o.delete(n);
      left -= n;
    } else {
      let s = "";
      const n = 1 + Math.floor(r() * 3);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      o.insert(s);
      if (left === 0 && r() < 0.5) break;
    }
  }
  return o;
}

describe("properties over random operations", () => {
  it("TP1: both orders give the same text", () => {
    const r = rng(42);
    for (let i = 0; i < 2000; i++) {
      const text = randomOp("", r).apply("");
      const a = randomOp(text, r);
      const b = randomOp(text, r);
      const [a2, b2] = transform(a, b);
      expect(b2.apply(a.apply(text))).toBe(a2.apply(b.apply(text)));
    }
  });

  it("compose equals applying in sequence", () => {
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const text = randomOp("", r).apply("");
      const a = randomOp(text, r);
      const b = randomOp(a.apply(text), r);
      expect(a.compose(b).apply(text)).toBe(b.apply(a.apply(text)));
    }
  });

  it("diff turns one text into the other without splitting emoji", () => {
    const r = rng(9);
    for (let i = 0; i < 2000; i++) {
      const a = randomOp("", r).apply("");
      const b = randomOp(a, r).apply(a);
      expect(diffText(a, b).apply(a)).toBe(b);
    }
    expect(diffText("🦀", "🦁").toJSON()).toEqual(["🦁", -1]);
  });
});
