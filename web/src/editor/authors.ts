// The "authors" view: the text coloured by who wrote it, from GET /collab/{id}/authorship.
//
// The spans describe a server revision, so they are fetched only for the revision this
// editor is synchronized at (nothing of its own in flight): then its text is exactly that
// revision's and code points map straight onto it. Marks move with later edits until the
// next refresh; new text stays uncoloured until then.

import { StateEffect, StateField } from "@codemirror/state";
import type { Extension } from "@codemirror/state";
import { Decoration, EditorView } from "@codemirror/view";
import type { DecorationSet } from "@codemirror/view";
import { PositionMap } from "../collab/positions";

export interface AuthorSpan {
  start: number;
  end: number;
  user_id: string | null;
}

export interface AuthorInfo {
  user_id: string;
  display_name: string | null;
  color: string;
}

export interface Authorship {
  revision: number;
  spans: AuthorSpan[];
  authors: AuthorInfo[];
}

const setAuthors = StateEffect.define<DecorationSet>();

const authorsField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    for (const e of tr.effects) if (e.is(setAuthors)) return e.value;
    return tr.docChanged ? marks.map(tr.changes) : marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

export function authorsView(): Extension {
  return authorsField;
}

/** Colours `view`'s text with `authorship` (which must describe exactly its text). */
export function showAuthors(view: EditorView, authorship: Authorship): void {
  const map = new PositionMap(view.state.doc);
  const who = new Map(authorship.authors.map((a) => [a.user_id, a]));
  const length = view.state.doc.length;
  const marks = [];
  for (const span of authorship.spans) {
    const author = span.user_id ? who.get(span.user_id) : undefined;
    if (!author) continue;
    const from = Math.min(map.toUtf16(span.start), length);
    const to = Math.min(map.toUtf16(span.end), length);
    if (from >= to) continue;
    const name = author.display_name ?? "someone";
    marks.push(
      Decoration.mark({
        class: "cm-author",
        attributes: { title: `Written by ${name}`, style: `background-color: ${author.color}33; box-shadow: inset 0 -2px ${author.color}`, "data-author": name },
      }).range(from, to),
    );
  }
  view.dispatch({ effects: setAuthors.of(Decoration.set(marks)) });
}

/** Removes the colours. */
export function hideAuthors(view: EditorView): void {
  view.dispatch({ effects: setAuthors.of(Decoration.none) });
}
