// The protocol client of docs/collab-protocol.md, independent of any UI and of the socket:
// it consumes server messages and local edits, and produces messages to send and operations
// to show. `connection.ts` drives it over a WebSocket; the tests drive it directly.

import { Operation, transform, transformPosition } from "./ot";
import { diffText } from "./diff";
import type {
  ClientMessage,
  Participant,
  Role,
  Selection,
  ServerMessage,
  Welcome,
} from "./protocol";

/** What the client needs from its surroundings. */
export interface ClientHost {
  /** Send a message now; only called while the socket is open and authenticated. */
  send(message: ClientMessage): void;
  /** Show a remote change: `op` applies to the text the user sees now. */
  applyRemote(op: Operation): void;
  /** Replace the whole text the user sees (first welcome). */
  reset(content: string): void;
  /** The client's state is inconsistent with the server's: drop the socket and reconnect. */
  reconnect(reason: string): void;
  /** Anything the UI shows: presence, role, saves, errors. */
  notify(event: ClientEvent): void;
}

export type ClientEvent =
  | { type: "welcome"; welcome: Welcome }
  | { type: "participants"; participants: Map<string, Participant> }
  | { type: "saved"; version: number; revision: number; savedAt: string }
  | { type: "pending"; pending: boolean }
  | { type: "role"; role: Role }
  | { type: "title"; title: string }
  | { type: "error"; code: string; message: string };

/** An ordinary edit, or an undo/redo the editor's own history made (sent flagged, so the
 * service records it as one and puts restored text back under its original author). */
export type ChangeKind = "edit" | "undo" | "redo";

type Inflight = { op: Operation; seq: number; kind?: ChangeKind };

/** Server ops are folded into the kept server text in batches, so most ops cost O(change). */
const FOLD_EVERY = 200;

export class CollabClient {
  /** The last server revision applied, or null before the first welcome. */
  revision: number | null = null;
  inflight: Inflight | null = null;
  buffer: Operation | null = null;
  /** What the buffer is: an undo stays one only while nothing is composed with it. */
  private bufferKind: ChangeKind = "edit";
  role: Role = "read";
  userId = "";
  sessionId = "";
  readonly participants = new Map<string, Participant>();
  private nextSeq = 1;
  private open = false;
  /** The server text at `revision` is `serverBase` with `serverLog` applied. */
  private serverBase = "";
  private serverLog: Operation[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The revision each participant's selection is at. */
  private readonly selectionAt = new Map<string, number>();

  constructor(
    readonly clientId: string,
    private readonly host: ClientHost,
  ) {}

  /** The `auth` message to send first on a new socket. */
  auth(token: string): ClientMessage {
    return {
      type: "auth",
      token,
      client_id: this.clientId,
      ...(this.revision === null ? {} : { revision: this.revision }),
    };
  }

  /** Whether changes are waiting for the server. */
  get pending(): boolean {
    return this.inflight !== null || this.buffer !== null;
  }

  /** In the Synchronized state with an open socket: cursors may be sent. */
  get synchronized(): boolean {
    return this.open && this.inflight === null;
  }

  /** The socket closed: keep everything pending for the next welcome. */
  disconnected(): void {
    this.open = false;
    clearTimeout(this.retryTimer);
    this.participants.clear();
    this.host.notify({ type: "participants", participants: this.participants });
  }

  /** A change the user made, relative to the text they see. */
  localChange(op: Operation, selection?: Selection, kind: ChangeKind = "edit"): void {
    if (op.isNoop()) return;
    if (this.inflight === null) {
      this.inflight = { op, seq: this.nextSeq++, kind };
      this.sendInflight(selection);
    } else {
      this.bufferKind = this.buffer ? "edit" : kind;
      this.buffer = this.buffer ? this.buffer.compose(op) : op;
      this.pendingSelection = selection;
    }
    this.host.notify({ type: "pending", pending: true });
  }

  private pendingSelection: Selection | undefined;

  /** Sends the user's selection if the protocol allows it now (Synchronized). */
  cursor(selection: Selection | null): boolean {
    if (!this.synchronized || this.revision === null) return false;
    this.host.send({ type: "cursor_position", revision: this.revision, selection });
    return true;
  }

  /** Asks the server to save a version now. */
  save(): void {
    if (this.open) this.host.send({ type: "save" });
  }

  /** The text the server has at `revision` (materialises the kept log). */
  serverText(): string {
    this.fold();
    return this.serverBase;
  }

  /** A remote selection at the server's revision, moved into the text the user sees. */
  toLocal(selection: Selection): Selection {
    const move = (p: number) => {
      let q = p;
      if (this.inflight) q = transformPosition(q, this.inflight.op);
      if (this.buffer) q = transformPosition(q, this.buffer);
      return q;
    };
    return { anchor: move(selection.anchor), head: move(selection.head) };
  }

  handle(msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        return this.welcome(msg);
      case "ack":
        return this.ack(msg.seq, msg.revision);
      case "document_change":
        return this.remote(msg.revision, Operation.fromJSON(msg.operation), msg);
      case "cursor_position": {
        const p = this.participants.get(msg.session_id);
        if (!p) return;
        // A selection at a revision this client has not reached yet is kept as it is: the
        // ops in between are on their way, and `remote` leaves it alone until then.
        if (msg.revision < (this.revision ?? 0)) return; // stale: a newer one follows
        p.selection = msg.selection;
        this.selectionAt.set(msg.session_id, msg.revision);
        this.host.notify({ type: "participants", participants: this.participants });
        return;
      }
      case "user_joined":
        this.participants.set(msg.session_id, {
          session_id: msg.session_id,
          user_id: msg.user_id,
          display_name: msg.display_name,
          color: msg.color,
          selection: null,
        });
        this.host.notify({ type: "participants", participants: this.participants });
        return;
      case "user_left":
        this.participants.delete(msg.session_id);
        this.host.notify({ type: "participants", participants: this.participants });
        return;
      case "document_saved":
        this.host.notify({
          type: "saved",
          version: msg.version,
          revision: msg.revision,
          savedAt: msg.saved_at,
        });
        return;
      case "title_changed":
        this.host.notify({ type: "title", title: msg.title });
        return;
      case "role_changed":
        this.role = msg.role;
        this.host.notify({ type: "role", role: msg.role });
        return;
      case "error":
        return this.error(msg.code, msg.message, msg.seq, msg.retry_after_ms);
      default:
        return; // pong and unknown types
    }
  }

  private welcome(w: Welcome): void {
    // Replaying `changes` must not send anything: the socket counts as open once it is done.
    this.open = false;
    this.role = w.role;
    this.userId = w.user.id;
    this.sessionId = w.session_id;
    this.participants.clear();
    this.selectionAt.clear();
    for (const p of w.participants) {
      this.participants.set(p.session_id, { ...p });
      this.selectionAt.set(p.session_id, w.revision);
    }
    if (this.revision === null) {
      // First connect: the server's text is the text.
      this.revision = w.revision;
      this.setServerText(w.content ?? "");
      this.nextSeq = w.last_seq + 1;
      this.host.reset(w.content ?? "");
    } else if (w.changes) {
      for (const m of w.changes) {
        if (m.type === "ack") this.ack(m.seq, m.revision);
        else this.remote(m.revision, Operation.fromJSON(m.operation), m);
      }
      if (this.inflight && this.inflight.seq <= w.last_seq) {
        // Committed, and its ack was in `changes` or is implied by them.
        this.confirm(w.revision);
      }
      this.revision = w.revision;
    } else {
      this.resync(w);
    }
    this.nextSeq = Math.max(this.nextSeq, w.last_seq + 1);
    this.open = true;
    this.host.notify({ type: "welcome", welcome: w });
    this.host.notify({ type: "participants", participants: this.participants });
    if (this.inflight) this.sendInflight(this.pendingSelection);
    else if (this.buffer) this.flushBuffer();
  }

  /** §4.4 resync: the server could not replay what was missed. */
  private resync(w: Welcome): void {
    const content = w.content ?? "";
    let s = this.serverText();
    let pending: Operation | null = null;
    let seq: number | null = null;
    if (this.inflight && this.inflight.seq <= w.last_seq) {
      s = this.inflight.op.apply(s); // committed: it is in `content`
    } else if (this.inflight) {
      pending = this.inflight.op;
      seq = this.inflight.seq;
    }
    if (this.buffer) pending = pending ? pending.compose(this.buffer) : this.buffer;
    const visible = pending ? pending.apply(s) : s;
    const d = diffText(s, content);
    let shown = content;
    if (pending) {
      const [, p2] = transform(d, pending);
      pending = p2;
      shown = p2.apply(content);
    }
    this.revision = w.revision;
    this.setServerText(content);
    this.buffer = null;
    this.inflight = pending && !pending.isNoop() ? { op: pending, seq: seq ?? this.nextSeq++ } : null;
    // Show the difference between what the user saw and the merged text as one remote edit.
    const change = diffText(visible, shown);
    if (!change.isNoop()) this.host.applyRemote(change);
    if (!this.inflight) this.host.notify({ type: "pending", pending: false });
  }

  private ack(seq: number, revision: number): void {
    if (!this.inflight || seq !== this.inflight.seq) return; // a repeat of an older ack
    this.confirm(revision);
    this.flushBuffer();
  }

  private confirm(revision: number): void {
    if (!this.inflight) return;
    this.serverLog.push(this.inflight.op);
    this.fold(FOLD_EVERY);
    this.revision = revision;
    this.inflight = null;
    if (!this.buffer) this.host.notify({ type: "pending", pending: false });
  }

  private flushBuffer(): void {
    if (this.inflight || !this.buffer) return;
    this.inflight = { op: this.buffer, seq: this.nextSeq++, kind: this.bufferKind };
    this.buffer = null;
    this.bufferKind = "edit";
    this.sendInflight(this.pendingSelection);
    this.pendingSelection = undefined;
  }

  private remote(revision: number, op: Operation, msg: { session_id?: string; selection?: Selection | null }): void {
    if (this.revision === null || revision !== this.revision + 1) {
      this.host.reconnect(`expected revision ${(this.revision ?? -1) + 1}, got ${revision}`);
      return;
    }
    let s = op;
    if (this.inflight) [s, this.inflight.op] = transform(s, this.inflight.op);
    if (this.buffer) [s, this.buffer] = transform(s, this.buffer);
    this.serverLog.push(op);
    this.fold(FOLD_EVERY);
    this.revision = revision;
    // Selections at the revision before this op move through it; newer ones wait.
    for (const p of this.participants.values()) {
      const at = this.selectionAt.get(p.session_id) ?? revision - 1;
      if (p.selection && at < revision) {
        p.selection = {
          anchor: transformPosition(p.selection.anchor, op),
          head: transformPosition(p.selection.head, op),
        };
        this.selectionAt.set(p.session_id, revision);
      }
    }
    const author = msg.session_id ? this.participants.get(msg.session_id) : undefined;
    if (author && msg.selection !== undefined) {
      author.selection = msg.selection;
      this.selectionAt.set(author.session_id, revision);
    }
    this.host.applyRemote(s);
    this.host.notify({ type: "participants", participants: this.participants });
  }

  private error(code: string, message: string, seq?: number, retryAfterMs?: number): void {
    switch (code) {
      case "invalid_operation":
      case "invalid_revision":
      case "revision_too_old":
        this.host.reconnect(code);
        return;
      case "rate_limited":
      case "storage_unavailable":
      case "fanout_unavailable":
        if (seq !== undefined && this.inflight?.seq === seq) {
          clearTimeout(this.retryTimer);
          this.retryTimer = setTimeout(() => {
            if (this.inflight?.seq === seq) this.sendInflight();
          }, retryAfterMs ?? 1000);
        }
        break;
      case "read_only":
        this.role = "read";
        break;
    }
    this.host.notify({ type: "error", code, message });
  }

  private sendInflight(selection?: Selection): void {
    if (!this.open || !this.inflight || this.revision === null) return;
    this.host.send({
      type: "document_change",
      revision: this.revision,
      operation: this.inflight.op.toJSON(),
      seq: this.inflight.seq,
      ...(selection ? { selection } : {}),
      ...(this.inflight.kind && this.inflight.kind !== "edit" ? { kind: this.inflight.kind } : {}),
    });
  }

  private setServerText(text: string): void {
    this.serverBase = text;
    this.serverLog = [];
  }

  private fold(threshold = 0): void {
    if (this.serverLog.length <= threshold) return;
    let text = this.serverBase;
    for (const op of this.serverLog) text = op.apply(text);
    this.serverBase = text;
    this.serverLog = [];
  }
}
