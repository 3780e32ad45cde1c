// The protocol client against a small in-test server that follows docs/collab-protocol.md's
// rules (the server's op wins ties, re-sent seqs are acknowledged, not applied again). The
// real server is exercised by the browser tests; these pin the client's state machine.

import { describe, expect, it } from "vitest";
import { CollabClient } from "../src/collab/client";
import type { ClientHost } from "../src/collab/client";
import { Operation, transform } from "../src/collab/ot";
import type { ClientMessage, ServerMessage, Welcome } from "../src/collab/protocol";
import { cpLength } from "../src/collab/text";

class Server {
  text = "";
  log: { op: Operation; clientId: string; seq: number }[] = [];
  lastSeq = new Map<string, { seq: number; revision: number }>();
  peers = new Map<string, Peer>();
  /** How many ops a reconnecting client may catch up on (the op window). */
  window = Infinity;

  welcome(peer: Peer, revision?: number): Welcome {
    const base = {
      type: "welcome" as const,
      protocol: 1,
      session_id: peer.id,
      revision: this.log.length,
      last_seq: this.lastSeq.get(peer.id)?.seq ?? 0,
      document: { id: "d", title: "t", version: 1 },
      role: "write" as const,
      user: { id: peer.id, display_name: peer.id, color: "#000" },
      participants: [],
      limits: {},
    };
    if (revision !== undefined && this.log.length - revision <= this.window) {
      const changes = this.log.slice(revision).map((e, i) =>
        e.clientId === peer.id
          ? { type: "ack" as const, seq: e.seq, revision: revision + i + 1 }
          : { type: "document_change" as const, revision: revision + i + 1, operation: e.op.toJSON(), user_id: e.clientId, session_id: e.clientId },
      );
      return { ...base, content: null, changes, resync: false };
    }
    return { ...base, content: this.text, changes: null, resync: revision !== undefined };
  }

  receive(peer: Peer, msg: ClientMessage): void {
    if (msg.type !== "document_change") return;
    const last = this.lastSeq.get(peer.id);
    if (last && msg.seq <= last.seq) {
      peer.inbox.push({ type: "ack", seq: msg.seq, revision: last.revision });
      return;
    }
    let op = Operation.fromJSON(msg.operation);
    for (const e of this.log.slice(msg.revision)) [, op] = transform(e.op, op);
    this.text = op.apply(this.text);
    this.log.push({ op, clientId: peer.id, seq: msg.seq });
    const revision = this.log.length;
    this.lastSeq.set(peer.id, { seq: msg.seq, revision });
    for (const p of this.peers.values()) {
      if (!p.connected) continue;
      if (p === peer) p.inbox.push({ type: "ack", seq: msg.seq, revision });
      else p.inbox.push({ type: "document_change", revision, operation: op.toJSON(), user_id: peer.id, session_id: peer.id });
    }
  }
}

/** A client plus the text its "editor" shows, wired to the server through message queues. */
class Peer implements ClientHost {
  text = "";
  inbox: ServerMessage[] = [];
  outbox: ClientMessage[] = [];
  connected = false;
  client: CollabClient;
  reconnects = 0;

  constructor(
    readonly id: string,
    readonly server: Server,
  ) {
    this.client = new CollabClient(id, this);
    server.peers.set(id, this);
  }

  send(m: ClientMessage) {
    this.outbox.push(m);
  }
  applyRemote(op: Operation) {
    this.text = op.apply(this.text);
  }
  reset(content: string) {
    this.text = content;
  }
  reconnect() {
    this.reconnects++;
  }
  notify() {}

  connect() {
    this.connected = true;
    this.inbox = [];
    this.outbox = [];
    const auth = this.client.auth("t") as { revision?: number };
    this.client.handle(this.server.welcome(this, auth.revision));
  }
  disconnect() {
    this.connected = false;
    this.inbox = [];
    this.outbox = [];
    this.client.disconnected();
  }
  type(pos: number, deleted: number, text: string) {
    const op = Operation.splice(cpLength(this.text), pos, deleted, text);
    this.text = op.apply(this.text);
    this.client.localChange(op);
  }
  /** Delivers everything queued in both directions, one message at a time. */
  flushOut() {
    while (this.connected && this.outbox.length) this.server.receive(this, this.outbox.shift()!);
  }
  flushIn() {
    while (this.connected && this.inbox.length) this.client.handle(this.inbox.shift()!);
  }
}

function settle(peers: Peer[]) {
  for (let i = 0; i < 50; i++) for (const p of peers) (p.flushOut(), p.flushIn());
}

describe("the collaboration client", () => {
  it("keeps one change in flight and composes the rest", () => {
    const server = new Server();
    const ada = new Peer("ada", server);
    ada.connect();
    ada.type(0, 0, "a");
    ada.type(1, 0, "b");
    ada.type(2, 0, "c");
    expect(ada.outbox).toHaveLength(1);
    expect(ada.client.buffer?.toJSON()).toEqual([1, "bc"]);
    settle([ada]);
    expect(server.text).toBe("abc");
    expect(server.log).toHaveLength(2);
    expect(ada.client.pending).toBe(false);
  });

  it("flags an undo made by the editor's history, unless it is composed with other typing", () => {
    const server = new Server();
    const ada = new Peer("ada", server);
    ada.connect();
    ada.type(0, 0, "abc");
    settle([ada]);
    // Alone: sent as an undo.
    ada.client.localChange(Operation.splice(3, 0, 3, ""), undefined, "undo");
    expect(ada.outbox.at(-1)).toMatchObject({ type: "document_change", kind: "undo" });
    // Behind it, typing and then a redo are composed into one change: an edit.
    ada.client.localChange(Operation.splice(0, 0, 0, "x"));
    ada.client.localChange(Operation.splice(1, 1, 0, "q"), undefined, "redo");
    ada.flushOut();
    ada.flushIn();
    expect(ada.outbox.at(-1)).toMatchObject({ type: "document_change", operation: ["xq"] });
    expect(ada.outbox.at(-1)).not.toHaveProperty("kind");
    settle([ada]);
    expect(server.text).toBe("xq");
    // A redo buffered alone is sent flagged.
    ada.client.localChange(Operation.splice(2, 0, 0, "y"));
    ada.client.localChange(Operation.splice(3, 1, 0, "z"), undefined, "redo");
    expect(ada.outbox.at(-1)).not.toHaveProperty("kind");
    ada.flushOut();
    ada.flushIn();
    expect(ada.outbox.at(-1)).toMatchObject({ operation: [1, "z", 2], kind: "redo" });
    settle([ada]);
    expect(server.text).toBe("yzxq");
  });

  it("lets the server's op win a tie, so both people read the same text", () => {
    const server = new Server();
    server.text = "ab";
    const ada = new Peer("ada", server);
    const bob = new Peer("bob", server);
    ada.connect();
    bob.connect();
    ada.type(1, 0, "X");
    bob.type(1, 0, "Y");
    ada.flushOut(); // Ada's commits first
    bob.flushOut();
    settle([ada, bob]);
    expect(ada.text).toBe("aXYb");
    expect(bob.text).toBe("aXYb");
    expect(server.text).toBe("aXYb");
  });

  it("converges under random concurrent edits with emoji", () => {
    let seed = 5;
    const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    const server = new Server();
    const peers = ["a", "b", "c"].map((id) => new Peer(id, server));
    peers.forEach((p) => p.connect());
    const pieces = ["x", "🦀", "\n", "é", "👍🏽"];
    for (let step = 0; step < 600; step++) {
      const p = peers[Math.floor(r() * peers.length)];
      const k = r();
      if (k < 0.6) {
        const len = cpLength(p.text);
        const pos = Math.floor(r() * (len + 1));
        const del = r() < 0.3 ? Math.min(len - pos, Math.floor(r() * 3)) : 0;
        p.type(pos, del, pieces[Math.floor(r() * pieces.length)]);
      } else if (k < 0.8) p.flushOut();
      else p.flushIn();
    }
    settle(peers);
    for (const p of peers) expect(p.text).toBe(server.text);
  });

  it("re-sends its change with the same seq after a reconnect and nothing is applied twice", () => {
    const server = new Server();
    const ada = new Peer("ada", server);
    const bob = new Peer("bob", server);
    ada.connect();
    bob.connect();
    ada.type(0, 0, "hello");
    ada.flushOut(); // committed, but the ack is lost with the socket
    ada.disconnect();
    ada.type(5, 0, " world"); // typing goes on offline
    bob.flushIn();
    bob.type(0, 0, ">");
    bob.flushOut();
    ada.connect();
    settle([ada, bob]);
    expect(server.text).toBe(">hello world");
    expect(ada.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
    expect(server.log.filter((e) => e.clientId === "ada")).toHaveLength(2);
  });

  it("resyncs without losing what was typed when the server cannot replay", () => {
    const server = new Server();
    server.window = 0;
    server.text = "shared text";
    const ada = new Peer("ada", server);
    const bob = new Peer("bob", server);
    ada.connect();
    bob.connect();
    ada.disconnect();
    ada.type(0, 0, "Ada: "); // offline
    bob.type(11, 0, " and Bob's");
    settle([bob]);
    ada.connect(); // resync: the window is empty
    settle([ada, bob]);
    expect(server.text).toBe("Ada: shared text and Bob's");
    expect(ada.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
  });

  it("counts an in-flight change the server already has as acknowledged on resync", () => {
    const server = new Server();
    server.window = 0;
    const ada = new Peer("ada", server);
    ada.connect();
    ada.type(0, 0, "once");
    ada.flushOut(); // committed; the ack is lost
    ada.disconnect();
    ada.connect();
    settle([ada]);
    expect(server.text).toBe("once");
    expect(ada.text).toBe("once");
    expect(ada.client.pending).toBe(false);
  });
});

describe("remote selections", () => {
  it("move through later changes but not through changes they already include", () => {
    const server = new Server();
    server.text = "hello";
    const ada = new Peer("ada", server);
    ada.connect();
    const c = ada.client;
    c.handle({ type: "user_joined", user_id: "g", session_id: "g", display_name: "Grace", color: "#000" });
    c.handle({ type: "cursor_position", user_id: "g", session_id: "g", revision: 0, selection: { anchor: 5, head: 5 } });
    // Someone inserts at the start: Grace's caret moves with the text.
    c.handle({ type: "document_change", revision: 1, operation: ["> ", 5], user_id: "x", session_id: "x" });
    expect(c.participants.get("g")!.selection).toEqual({ anchor: 7, head: 7 });
    // A selection already at revision 2 (sent before this client saw op 2) is not moved again.
    c.handle({ type: "cursor_position", user_id: "g", session_id: "g", revision: 2, selection: { anchor: 1, head: 1 } });
    c.handle({ type: "document_change", revision: 2, operation: ["!", 7], user_id: "x", session_id: "x" });
    expect(c.participants.get("g")!.selection).toEqual({ anchor: 1, head: 1 });
    // And one older than the text is dropped.
    c.handle({ type: "cursor_position", user_id: "g", session_id: "g", revision: 1, selection: { anchor: 0, head: 0 } });
    expect(c.participants.get("g")!.selection).toEqual({ anchor: 1, head: 1 });
    expect(ada.text).toBe("!> hello");
  });
});
