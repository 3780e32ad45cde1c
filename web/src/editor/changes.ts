// CodeMirror changes (UTF-16 offsets) ↔ protocol operations (code points).

import type { ChangeSet, ChangeSpec } from "@codemirror/state";
import { Operation } from "../collab/ot";
import type { PositionMap } from "../collab/positions";

/** A CodeMirror change set (UTF-16, on `map`'s document) as an operation in code points. */
export function changesToOp(changes: ChangeSet, map: PositionMap): Operation {
  const op = new Operation();
  let at = 0;
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    const from = map.toCp(fromA);
    const to = map.toCp(toA);
    op.retain(from - at).insert(inserted.toString()).delete(to - from);
    at = to;
  });
  op.retain(map.toCp(changes.length) - at);
  return op;
}

/** An operation in code points as CodeMirror changes on `map`'s document. */
export function opToChanges(op: Operation, map: PositionMap): ChangeSpec[] {
  const changes: ChangeSpec[] = [];
  let cp = 0;
  for (const c of op.ops) {
    if (typeof c === "string") {
      const at = map.toUtf16(cp);
      changes.push({ from: at, insert: c });
    } else if (c > 0) {
      cp += c;
    } else {
      changes.push({ from: map.toUtf16(cp), to: map.toUtf16(cp - c) });
      cp -= c;
    }
  }
  return changes;
}
