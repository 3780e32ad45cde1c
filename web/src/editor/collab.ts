// Binds a CodeMirror view to a CollabClient: local transactions become operations in code
// points, remote operations become CodeMirror changes, remote selections become decorations.

import { changesToOp, opToChanges } from "./changes";
import { Annotation, EditorState, StateEffect, StateField, Transaction } from "@codemirror/state";
import type { ChangeSpec, Extension, Range } from "@codemirror/state";
import { Decoration, EditorView, ViewPlugin, WidgetType } from "@codemirror/view";
import type { DecorationSet, ViewUpdate } from "@codemirror/view";
import type { ChangeKind } from "../collab/client";
import type { Operation } from "../collab/ot";
import { PositionMap } from "../collab/positions";
import type { Participant, Selection } from "../collab/protocol";

/** Marks transactions that come from the server, so they are not sent back. */
export const remote = Annotation.define<boolean>();

/** What the binding reports to the session that owns it. */
export interface CollabBinding {
  /** The user changed the text: `op` in code points, `selection` after it; `kind` says
   * whether CodeMirror's history made it (undo/redo). */
  local(op: Operation, selection: Selection, kind: ChangeKind): void;
  /** The user moved their selection (code points). */
  selection(selection: Selection): void;
}

/** The positions map of the view's document, kept in step by the plugin. */
export class CollabView {
  map: PositionMap;

  constructor(
    readonly view: EditorView,
    plugin: CollabBinding,
  ) {
    this.map = new PositionMap(view.state.doc);
    this.binding = plugin;
  }

  readonly binding: CollabBinding;

  /** Applies a remote operation (on the text shown now). */
  applyRemote(op: Operation): void {
    this.view.dispatch({
      changes: opToChanges(op, this.map),
      annotations: [remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  /** Replaces the whole text (first welcome or a resync). */
  reset(content: string): void {
    this.view.dispatch({
      changes: { from: 0, to: this.view.state.doc.length, insert: content },
      annotations: [remote.of(true), Transaction.addToHistory.of(false)],
    });
  }

  selectionCp(state: EditorState = this.view.state): Selection {
    const main = state.selection.main;
    return { anchor: this.map.toCp(main.anchor), head: this.map.toCp(main.head) };
  }

  /** Shows participants' selections (code points, in the text shown now). */
  showParticipants(people: { participant: Participant; selection: Selection | null }[]): void {
    const maxCp = this.map.toCp(this.view.state.doc.length);
    const cursors = people.flatMap(({ participant, selection }) => {
      if (!selection) return [];
      const clamp = (cp: number) => this.map.toUtf16(Math.max(0, Math.min(cp, maxCp)));
      return [{ participant, anchor: clamp(selection.anchor), head: clamp(selection.head) }];
    });
    this.view.dispatch({ effects: setCursors.of(cursors) });
  }
}

interface RemoteCursor {
  participant: Participant;
  anchor: number;
  head: number;
}

const setCursors = StateEffect.define<RemoteCursor[]>();

class CaretWidget extends WidgetType {
  constructor(
    readonly name: string,
    readonly color: string,
  ) {
    super();
  }

  eq(other: CaretWidget): boolean {
    return other.name === this.name && other.color === this.color;
  }

  toDOM(): HTMLElement {
    const caret = document.createElement("span");
    caret.className = "cm-remote-caret";
    caret.style.borderColor = this.color;
    caret.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "cm-remote-label";
    label.textContent = this.name;
    label.style.backgroundColor = this.color;
    caret.appendChild(label);
    return caret;
  }

  ignoreEvent(): boolean {
    return true;
  }
}

const cursorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decos, tr) {
    decos = decos.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setCursors)) continue;
      const ranges: Range<Decoration>[] = [];
      for (const c of e.value) {
        const { display_name: name, color } = c.participant;
        const from = Math.min(c.anchor, c.head);
        const to = Math.max(c.anchor, c.head);
        if (from < to) {
          ranges.push(
            Decoration.mark({
              class: "cm-remote-selection",
              attributes: { style: `background-color: ${color}33` },
            }).range(from, to),
          );
        }
        ranges.push(
          Decoration.widget({ widget: new CaretWidget(name, color), side: 1 }).range(c.head),
        );
      }
      decos = Decoration.set(ranges, true);
    }
    return decos;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** Lone surrogates cannot travel as JSON the server accepts: replace them as they are typed
 * or pasted, so the text on screen is the text the server has. */
export const wellFormed = EditorState.transactionFilter.of((tr) => {
  if (!tr.docChanged || tr.annotation(remote)) return tr;
  let bad = false;
  tr.changes.iterChanges((_fa, _ta, _fb, _tb, text) => {
    if (!bad && !text.toString().isWellFormed()) bad = true;
  });
  if (!bad) return tr;
  const specs: ChangeSpec[] = [];
  tr.changes.iterChanges((fromA, toA, _fb, _tb, text) => {
    specs.push({ from: fromA, to: toA, insert: text.toString().toWellFormed() });
  });
  return [{ changes: specs, selection: tr.selection, scrollIntoView: tr.scrollIntoView }];
});

/** The extension: reports local changes and selections, draws remote cursors. */
export function collab(getView: () => CollabView | null): Extension {
  const plugin = ViewPlugin.fromClass(
    class {
      update(u: ViewUpdate) {
        const cv = getView();
        if (!cv) return;
        for (const tr of u.transactions) {
          if (!tr.docChanged) continue;
          if (tr.annotation(remote)) {
            cv.map.update(tr.newDoc, tr.changes);
            continue;
          }
          const op = changesToOp(tr.changes, cv.map);
          cv.map.update(tr.newDoc, tr.changes);
          const kind: ChangeKind = tr.isUserEvent("undo") ? "undo" : tr.isUserEvent("redo") ? "redo" : "edit";
          cv.binding.local(op, cv.selectionCp(tr.state), kind);
        }
        if (u.selectionSet && !u.docChanged) cv.binding.selection(cv.selectionCp());
      }
    },
  );
  return [wellFormed, cursorField, plugin];
}
