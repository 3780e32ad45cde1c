// The messages of docs/collab-protocol.md, as types.

import type { Component } from "./ot";

export type Role = "read" | "write" | "admin" | "owner";

/** A selection in code points; a caret has `anchor === head`. */
export interface Selection {
  anchor: number;
  head: number;
}

export interface Participant {
  session_id: string;
  user_id: string;
  display_name: string;
  color: string;
  selection: Selection | null;
}

export interface Welcome {
  type: "welcome";
  protocol: number;
  session_id: string;
  revision: number;
  content: string | null;
  changes: (Ack | RemoteChange)[] | null;
  resync: boolean;
  last_seq: number;
  document: { id: string; title: string; version: number };
  role: Role;
  user: { id: string; display_name: string; color: string };
  participants: Participant[];
  limits: Record<string, number>;
}

export interface Ack {
  type: "ack";
  seq: number;
  revision: number;
}

export interface RemoteChange {
  type: "document_change";
  revision: number;
  operation: Component[];
  user_id: string;
  session_id: string;
  selection?: Selection | null;
  /** Present when the change undid (or redid) its author's step. */
  kind?: "undo" | "redo";
}

export type ServerMessage =
  | Welcome
  | Ack
  | RemoteChange
  | { type: "cursor_position"; user_id: string; session_id: string; revision: number; selection: Selection | null }
  | { type: "user_joined"; user_id: string; session_id: string; display_name: string; color: string }
  | { type: "user_left"; user_id: string; session_id: string }
  | { type: "document_saved"; revision: number; version: number; saved_at: string }
  | { type: "title_changed"; title: string }
  | { type: "role_changed"; role: Role }
  | { type: "error"; code: string; message: string; seq?: number; retry_after_ms?: number }
  | { type: "pong"; id?: string }
  | {
      type: "undo_result";
      action: "undo" | "redo";
      result: "applied" | "nothing_to_undo" | "failed";
      revision?: number;
      id?: unknown;
      code?: string;
      message?: string;
    };

export type ClientMessage =
  | { type: "auth"; token: string; client_id: string; revision?: number }
  | { type: "document_change"; revision: number; operation: Component[]; seq: number; selection?: Selection; kind?: "undo" | "redo" }
  | { type: "undo" | "redo"; id?: string }
  | { type: "cursor_position"; revision: number; selection: Selection | null }
  | { type: "save" }
  | { type: "ping"; id?: string };
