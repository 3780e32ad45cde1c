// "Here is the whole new text" as an operation: the common prefix and suffix are kept and the
// middle replaced. Exact, linear, and enough for what the client uses it for (a resync and
// showing its result); the server's diff (crates/ot/src/diff.rs) is finer.

import { Operation } from "./ot";
import { cpLength } from "./text";

export function diffText(a: string, b: string): Operation {
  const max = Math.min(a.length, b.length);
  let start = 0;
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && a.charCodeAt(a.length - 1 - end) === b.charCodeAt(b.length - 1 - end)) end++;
  // Never split a surrogate pair.
  if (start > 0 && isHigh(a.charCodeAt(start - 1))) start--;
  if (end > 0 && isLow(a.charCodeAt(a.length - end))) end--;
  const prefix = cpLength(a.slice(0, start));
  const deleted = cpLength(a.slice(start, a.length - end));
  const suffix = cpLength(a.slice(a.length - end));
  return new Operation()
    .retain(prefix)
    .insert(b.slice(start, b.length - end))
    .delete(deleted)
    .retain(suffix);
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
