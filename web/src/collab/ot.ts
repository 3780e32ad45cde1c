// A port of `tandem-ot` (crates/ot): operations over code points in the ot.js wire format,
// with the same normalisation, compose and transform. It must agree with the server exactly;
// test/ot-agreement.test.ts checks it against the Rust implementation's published cases and
// the e2e fuzz test against the server itself.

import { cpLength, utf16Offset } from "./text";

/** One wire component: retain n (n > 0), insert a string, delete n (as −n). */
export type Component = number | string;

/** A normalised operation covering a whole document. */
export class Operation {
  readonly ops: Component[] = [];
  /** Code points of the document it applies to. */
  baseLength = 0;
  /** Code points of the document it produces. */
  targetLength = 0;

  static identity(len: number): Operation {
    return new Operation().retain(len);
  }

  /** At `pos`, delete `deleted` code points and insert `text`, on a document of `len`. */
  static splice(len: number, pos: number, deleted: number, text: string): Operation {
    if (pos < 0 || deleted < 0 || pos + deleted > len) throw new RangeError("splice out of range");
    return new Operation().retain(pos).insert(text).delete(deleted).retain(len - pos - deleted);
  }

  /** Parses the wire format; throws on anything the server would refuse. */
  static fromJSON(wire: unknown): Operation {
    if (!Array.isArray(wire)) throw new TypeError("an operation is an array");
    const op = new Operation();
    for (const c of wire) {
      if (typeof c === "string" && c.length > 0) op.insert(c);
      else if (typeof c === "number" && Number.isSafeInteger(c) && c > 0) op.retain(c);
      else if (typeof c === "number" && Number.isSafeInteger(c) && c < 0) op.delete(-c);
      else throw new TypeError(`invalid component ${JSON.stringify(c)}`);
    }
    return op;
  }

  toJSON(): Component[] {
    return this.ops;
  }

  isNoop(): boolean {
    return this.ops.length === 0 || (this.ops.length === 1 && isRetain(this.ops[0]));
  }

  retain(n: number): this {
    if (n === 0) return this;
    this.baseLength += n;
    this.targetLength += n;
    const last = this.ops.length - 1;
    if (last >= 0 && isRetain(this.ops[last])) (this.ops[last] as number) += n;
    else this.ops.push(n);
    return this;
  }

  insert(text: string, cps = cpLength(text)): this {
    if (text === "") return this;
    this.targetLength += cps;
    const ops = this.ops;
    const last = ops.length - 1;
    if (last >= 0 && typeof ops[last] === "string") {
      ops[last] = (ops[last] as string) + text;
    } else if (last >= 0 && isDelete(ops[last])) {
      // Insert-before-delete is the canonical order.
      if (last >= 1 && typeof ops[last - 1] === "string") {
        ops[last - 1] = (ops[last - 1] as string) + text;
      } else {
        ops.splice(last, 0, text);
      }
    } else {
      ops.push(text);
    }
    return this;
  }

  delete(n: number): this {
    if (n === 0) return this;
    this.baseLength += n;
    const last = this.ops.length - 1;
    if (last >= 0 && isDelete(this.ops[last])) (this.ops[last] as number) -= n;
    else this.ops.push(-n);
    return this;
  }

  /** Applies the operation to `text` (O(len(text))). */
  apply(text: string): string {
    if (cpLength(text) !== this.baseLength) {
      throw new RangeError(`base length ${this.baseLength} does not match the text (${cpLength(text)})`);
    }
    const out: string[] = [];
    let i = 0;
    for (const c of this.ops) {
      if (typeof c === "string") out.push(c);
      else if (c > 0) {
        const j = utf16Offset(text, c, i);
        out.push(text.slice(i, j));
        i = j;
      } else {
        i = utf16Offset(text, -c, i);
      }
    }
    return out.join("");
  }

  /** The operation with the effect of `this` followed by `next`. */
  compose(next: Operation): Operation {
    if (this.targetLength !== next.baseLength) {
      throw new RangeError("compose: the second operation does not apply to the first's result");
    }
    const out = new Operation();
    const a = new Pieces(this.ops);
    const b = new Pieces(next.ops);
    for (;;) {
      const pa = a.peek();
      const pb = b.peek();
      if (pa === undefined && pb === undefined) break;
      if (pa !== undefined && pa.kind === "delete") {
        out.delete(pa.len);
        a.take(pa.len);
      } else if (pb !== undefined && pb.kind === "insert") {
        out.insert(pb.text, pb.len);
        b.take(pb.len);
      } else if (pa === undefined || pb === undefined) {
        throw new RangeError("compose: length mismatch");
      } else {
        const m = Math.min(pa.len, pb.len);
        if (pa.kind === "retain" && pb.kind === "retain") out.retain(m);
        else if (pa.kind === "retain" && pb.kind === "delete") out.delete(m);
        else if (pa.kind === "insert" && pb.kind === "retain") out.insert(a.text(m), m);
        // insert then delete: the text never appears.
        a.take(m);
        b.take(m);
      }
    }
    return out;
  }
}

/**
 * Transforms concurrent `a` and `b` into `[a', b']` with
 * `b'.apply(a.apply(s)) === a'.apply(b.apply(s))`. When both insert at one position, **`a`'s
 * text goes first** — the server's op is always `a` (docs/collab-protocol.md §4.2).
 */
export function transform(a: Operation, b: Operation): [Operation, Operation] {
  if (a.baseLength !== b.baseLength) throw new RangeError("transform: base lengths differ");
  const a2 = new Operation();
  const b2 = new Operation();
  const ia = new Pieces(a.ops);
  const ib = new Pieces(b.ops);
  for (;;) {
    const pa = ia.peek();
    const pb = ib.peek();
    if (pa === undefined && pb === undefined) break;
    if (pa !== undefined && pa.kind === "insert") {
      a2.insert(pa.text, pa.len);
      b2.retain(pa.len);
      ia.take(pa.len);
    } else if (pb !== undefined && pb.kind === "insert") {
      a2.retain(pb.len);
      b2.insert(pb.text, pb.len);
      ib.take(pb.len);
    } else if (pa === undefined || pb === undefined) {
      throw new RangeError("transform: length mismatch");
    } else {
      const m = Math.min(pa.len, pb.len);
      if (pa.kind === "retain" && pb.kind === "retain") {
        a2.retain(m);
        b2.retain(m);
      } else if (pa.kind === "delete" && pb.kind === "retain") a2.delete(m);
      else if (pa.kind === "retain" && pb.kind === "delete") b2.delete(m);
      // both deleted the same text: nothing for either.
      ia.take(m);
      ib.take(m);
    }
  }
  return [a2, b2];
}

/** Moves a position (code points) through `op`; an insert at the position pushes it right
 * unless `stickLeft`. */
export function transformPosition(pos: number, op: Operation, stickLeft = false): number {
  let index = 0; // in the base text
  let out = pos;
  for (const c of op.ops) {
    if (index > pos) break;
    if (typeof c === "string") {
      if (index < pos || !stickLeft) out += cpLength(c);
    } else if (c > 0) {
      index += c;
    } else {
      const n = -c;
      out -= Math.min(n, pos - index);
      index += n;
    }
    if (index > pos) break;
  }
  return out;
}

type Piece =
  | { kind: "retain"; len: number }
  | { kind: "delete"; len: number }
  | { kind: "insert"; len: number; text: string };

/** Walks components, splitting them as the other side demands. */
class Pieces {
  private i = 0;
  /** Code points of the current component already consumed. */
  private used = 0;
  /** UTF-16 offset of `used` in the current insert. */
  private usedUnits = 0;
  private lens: number[];

  constructor(private readonly ops: Component[]) {
    this.lens = ops.map((c) => (typeof c === "string" ? cpLength(c) : Math.abs(c)));
  }

  peek(): Piece | undefined {
    const c = this.ops[this.i];
    if (c === undefined) return undefined;
    const len = this.lens[this.i] - this.used;
    if (typeof c === "string") return { kind: "insert", len, text: c.slice(this.usedUnits) };
    return c > 0 ? { kind: "retain", len } : { kind: "delete", len };
  }

  /** The next `n` code points of the current insert. */
  text(n: number): string {
    const s = this.ops[this.i] as string;
    return s.slice(this.usedUnits, utf16Offset(s, n, this.usedUnits));
  }

  take(n: number): void {
    const c = this.ops[this.i];
    if (typeof c === "string") this.usedUnits = utf16Offset(c, n, this.usedUnits);
    this.used += n;
    if (this.used >= this.lens[this.i]) {
      this.i++;
      this.used = 0;
      this.usedUnits = 0;
    }
  }
}

function isRetain(c: Component | undefined): c is number {
  return typeof c === "number" && c > 0;
}

function isDelete(c: Component | undefined): c is number {
  return typeof c === "number" && c < 0;
}
