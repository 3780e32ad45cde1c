// UTF-16 offsets (CodeMirror) ↔ code points (the protocol), in time proportional to the
// change rather than the document.
//
// Only astral characters (surrogate pairs) make the two differ. While the document has none
// — most documents — both directions are the identity and nothing is counted. Once it has
// some, a Fenwick tree over lines holds how many pairs each line has, so the pairs before any
// line are a prefix sum (O(log lines)) and only the one line is scanned. An edit that keeps
// the line count updates just the lines it touched; one that adds or removes lines rebuilds
// the tree (O(lines), still no text scanned but the touched lines).

import type { ChangeSet, Text } from "@codemirror/state";
import { astralCount, utf16Offset } from "./text";

export class PositionMap {
  private doc: Text;
  /** Pairs per line (index = line number − 1), or null while the document has none. */
  private counts: number[] | null = null;
  private tree: Fenwick | null = null;

  constructor(doc: Text) {
    this.doc = doc;
    this.rebuild();
  }

  /** True when UTF-16 offsets and code points coincide. */
  get identity(): boolean {
    return this.counts === null;
  }

  /** The code point offset of UTF-16 offset `u`. */
  toCp(u: number): number {
    if (!this.tree) return u;
    const line = this.doc.lineAt(u);
    return u - this.tree.prefix(line.number - 1) - astralCount(line.text, 0, u - line.from);
  }

  /** The UTF-16 offset of code point offset `cp`. */
  toUtf16(cp: number): number {
    if (!this.tree) return cp;
    // The last line whose first code point is ≤ cp.
    let lo = 1;
    let hi = this.doc.lines;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.doc.line(mid).from - this.tree.prefix(mid - 1) <= cp) lo = mid;
      else hi = mid - 1;
    }
    const line = this.doc.line(lo);
    const start = line.from - this.tree.prefix(lo - 1);
    return line.from + utf16Offset(line.text, Math.min(cp - start, line.length), 0);
  }

  /** Follows the document through `changes` (from the current doc to `next`). */
  update(next: Text, changes: ChangeSet): void {
    const before = this.doc;
    this.doc = next;
    if (this.counts === null) {
      let astral = false;
      changes.iterChanges((_fa, _ta, _fb, _tb, inserted) => {
        if (!astral) astral = hasAstral(inserted.toString());
      });
      if (astral) this.rebuild();
      return;
    }
    if (next.lines !== before.lines) {
      this.rebuild();
      return;
    }
    // Same line count: with each change spanning as many lines before as after, line numbers
    // stay put and only the touched lines need counting again.
    let sameShape = true;
    const touched: [number, number][] = [];
    changes.iterChanges((fromA, toA, fromB, toB) => {
      const a = before.lineAt(toA).number - before.lineAt(fromA).number;
      const first = next.lineAt(fromB).number;
      const last = next.lineAt(toB).number;
      if (a !== last - first) sameShape = false;
      touched.push([first, last]);
    });
    if (!sameShape) {
      this.rebuild();
      return;
    }
    for (const [first, last] of touched) {
      for (let n = first; n <= last; n++) {
        const count = astralCount(next.line(n).text);
        const delta = count - this.counts[n - 1];
        if (delta !== 0) {
          this.counts[n - 1] = count;
          this.tree!.add(n - 1, delta);
        }
      }
    }
  }

  private rebuild(): void {
    const counts: number[] = [];
    let any = false;
    for (let n = 1; n <= this.doc.lines; n++) {
      const text = this.doc.line(n).text;
      const c = hasAstral(text) ? astralCount(text) : 0;
      counts.push(c);
      if (c) any = true;
    }
    this.counts = any ? counts : null;
    this.tree = any ? new Fenwick(counts) : null;
  }
}

function hasAstral(s: string): boolean {
  return /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(s);
}

/** Prefix sums with point updates, both O(log n). */
class Fenwick {
  private readonly t: number[];

  constructor(values: number[]) {
    this.t = new Array(values.length + 1).fill(0);
    for (let i = 0; i < values.length; i++) {
      this.t[i + 1] += values[i];
      const j = i + 1 + ((i + 1) & -(i + 1));
      if (j < this.t.length) this.t[j] += this.t[i + 1];
    }
  }

  /** Adds `delta` at index `i` (0-based). */
  add(i: number, delta: number): void {
    for (let j = i + 1; j < this.t.length; j += j & -j) this.t[j] += delta;
  }

  /** The sum of the first `n` values. */
  prefix(n: number): number {
    let s = 0;
    for (let j = n; j > 0; j -= j & -j) s += this.t[j];
    return s;
  }
}
