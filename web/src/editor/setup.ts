// The CodeMirror editor: Markdown with highlighting, history, search, and the collab binding.

import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { markdown } from "@codemirror/lang-markdown";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import type { Extension } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, keymap, placeholder } from "@codemirror/view";

export const readOnly = new Compartment();

export function editorExtensions(extra: Extension[]): Extension[] {
  return [
    // Undo stays local (it works offline and echoes at once) and only covers this writer's
    // own changes: remote transactions are dispatched with addToHistory=false (see
    // collab.ts), and CodeMirror maps its steps through them, as the service's stacks do.
    // Its undos are sent flagged, and grouped like the service's steps (adjacent typing
    // within a second is one step), so the service recognises them.
    history({ newGroupDelay: 1000 }),
    drawSelection(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    markdown(),
    EditorView.lineWrapping,
    placeholder("Start writing…"),
    keymap.of([...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab]),
    readOnly.of(EditorState.readOnly.of(true)),
    EditorView.contentAttributes.of({ "aria-label": "Document text", "aria-multiline": "true" }),
    ...extra,
  ];
}

export function setReadOnly(view: EditorView, value: boolean): void {
  view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(value)) });
}
