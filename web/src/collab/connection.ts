// The WebSocket under a CollabClient: authenticates, reconnects with backoff and jitter,
// and notices a dead connection with application pings (docs/collab-protocol.md §4.4, §4.5).

import type { CollabClient } from "./client";
import type { ClientMessage, ServerMessage } from "./protocol";

export type Status =
  | { state: "connecting" }
  | { state: "connected" }
  | { state: "reconnecting"; inMs: number; attempt: number }
  | { state: "offline" }
  | { state: "closed"; code: number; reason: string };

export interface ConnectionOptions {
  url: string;
  client: CollabClient;
  /** A current access token; `fresh` asks for a newly refreshed one (after a 4401). */
  token(fresh: boolean): Promise<string | null>;
  status(status: Status): void;
  /** Every server message, after the client has handled it. */
  message?(msg: ServerMessage): void;
}

/** Close codes after which reconnecting cannot help (§5). */
const FINAL = new Set([4400, 4403, 4404, 4409, 4413]);
const PING_EVERY_MS = 30_000;
const PONG_WITHIN_MS = 10_000;

export class Connection {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private freshToken = false;
  private authed = false;

  constructor(private readonly o: ConnectionOptions) {}

  start(): void {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.drop(1000, "closing");
  }

  /** Drops the socket and reconnects at once (the client found itself inconsistent). */
  restart(): void {
    this.drop(4000, "resync");
    this.schedule(0);
  }

  send(msg: ClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private onOnline = () => {
    if (!this.ws && !this.stopped) {
      clearTimeout(this.timer);
      this.attempt = 0;
      void this.connect();
    }
  };

  private onOffline = () => {
    // Typing goes on; the socket may linger half-dead, so drop it and wait for `online`.
    this.drop(4000, "offline");
    clearTimeout(this.timer);
    this.o.status({ state: "offline" });
  };

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.o.status(this.attempt === 0 ? { state: "connecting" } : { state: "reconnecting", inMs: 0, attempt: this.attempt });
    const token = await this.o.token(this.freshToken).catch(() => null);
    this.freshToken = false;
    if (this.stopped) return;
    if (token === null) {
      this.o.status({ state: "closed", code: 4401, reason: "signed_out" });
      return;
    }
    const ws = new WebSocket(this.o.url);
    this.ws = ws;
    this.authed = false;
    ws.onopen = () => ws.send(JSON.stringify(this.o.client.auth(token)));
    ws.onmessage = (event) => {
      if (typeof event.data !== "string") return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (msg.type === "welcome") {
        this.authed = true;
        this.attempt = 0;
        this.o.status({ state: "connected" });
        this.startPings();
      }
      if (msg.type === "pong") clearTimeout(this.pongTimer);
      this.o.client.handle(msg);
      this.o.message?.(msg);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.stopPings();
      this.o.client.disconnected();
      if (this.stopped) return;
      if (FINAL.has(event.code)) {
        this.stopped = true;
        this.o.status({ state: "closed", code: event.code, reason: event.reason });
        return;
      }
      if (event.code === 4401) {
        // The token may just have expired: one try with a fresh one, then give up.
        if (this.freshTokenTried) {
          this.o.status({ state: "closed", code: 4401, reason: event.reason || "unauthorized" });
          return;
        }
        this.freshTokenTried = true;
        this.freshToken = true;
        this.schedule(0);
        return;
      }
      if (this.authed) this.freshTokenTried = false;
      if (!navigator.onLine) {
        this.o.status({ state: "offline" });
        return;
      }
      this.schedule(this.backoff(event.code));
    };
  }

  private freshTokenTried = false;

  /** 0.5 s doubling to 30 s, ±50 %; a restarting server is retried at once (§5). */
  private backoff(code: number): number {
    if (code === 1012 && this.attempt === 0) return 50 + Math.random() * 250;
    const base = Math.min(30_000, 500 * 2 ** this.attempt);
    return base * (0.5 + Math.random());
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.attempt++;
    this.o.status({ state: "reconnecting", inMs: ms, attempt: this.attempt });
    this.timer = setTimeout(() => void this.connect(), ms);
  }

  private drop(code: number, reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    this.stopPings();
    ws.onclose = null;
    ws.onmessage = null;
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
    this.o.client.disconnected();
  }

  private startPings(): void {
    this.stopPings();
    this.pingTimer = setInterval(() => {
      this.send({ type: "ping" });
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => {
        // No pong: the connection is dead even if the socket has not noticed.
        this.drop(4000, "no_pong");
        this.schedule(this.backoff(0));
      }, PONG_WITHIN_MS);
    }, PING_EVERY_MS);
  }

  private stopPings(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}
