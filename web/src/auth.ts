// Signing in and keeping the access token fresh.
//
// The access token lives in memory only. The refresh token never reaches JavaScript: the User
// Service's browser mode (`X-Tandem-Browser: 1`) keeps it in an HttpOnly cookie scoped to
// /auth. A reload or a new tab signs in again by refreshing from that cookie. Tabs refresh one
// at a time under a Web Lock, so one tab never presents a token another has just rotated
// (and the server's grace window covers browsers without Web Locks).

import { toApiError } from "./api";

export interface User {
  id: string;
  email: string;
  username: string;
  display_name: string;
  bio: string;
  avatar_url: string | null;
}

interface TokenResponse {
  access_token: string;
  expires_in: number;
  access_token_expires_at: string;
  user: User;
  device_token?: string;
}

/** How long before expiry the token is refreshed. */
const EARLY_MS = 60_000;
const DEVICE_KEY = "tandem.device_token";

export interface AuthDeps {
  fetch: typeof fetch;
  now: () => number;
  /** Runs `task` while holding the cross-tab refresh lock. */
  lock: <T>(task: () => Promise<T>) => Promise<T>;
  storage?: Pick<Storage, "getItem" | "setItem">;
}

export const browserDeps = (): AuthDeps => ({
  fetch: (...args) => fetch(...args),
  now: () => Date.now(),
  lock: (task) =>
    navigator.locks ? (navigator.locks.request("tandem-refresh", task) as Promise<Awaited<ReturnType<typeof task>>>) : task(),
  storage: window.localStorage,
});

export class Auth {
  user: User | null = null;
  private access: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private listeners = new Set<(user: User | null) => void>();

  constructor(private readonly deps: AuthDeps) {}

  get signedIn(): boolean {
    return this.user !== null;
  }

  onChange(listener: (user: User | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Signs in with email or username; throws ApiError. */
  async login(identifier: string, password: string): Promise<void> {
    const body: Record<string, string> = identifier.includes("@")
      ? { email: identifier, password }
      : { username: identifier, password };
    const device = this.deps.storage?.getItem(DEVICE_KEY);
    if (device) body.device_token = device;
    const res = await this.deps.fetch("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "x-tandem-browser": "1" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    if (!res.ok) throw await toApiError(res);
    const tokens = (await res.json()) as TokenResponse;
    if (tokens.device_token) this.deps.storage?.setItem(DEVICE_KEY, tokens.device_token);
    this.adopt(tokens);
  }

  /** Resumes the session from the refresh cookie, if there is one. */
  async restore(): Promise<boolean> {
    return this.refresh();
  }

  /** A valid access token, refreshed first if it is about to expire; null when signed out. */
  async token(fresh = false): Promise<string | null> {
    if (!this.access) return null;
    if (fresh || this.deps.now() > this.expiresAt - EARLY_MS / 2) {
      if (!(await this.refresh())) return null;
    }
    return this.access;
  }

  /** One refresh at a time in this tab, and under the lock across tabs. */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.deps
      .lock(() => this.doRefresh())
      .finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    let res: Response;
    try {
      res = await this.deps.fetch("/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json", "x-tandem-browser": "1" },
        body: "{}",
        credentials: "same-origin",
      });
    } catch {
      // Offline: keep the session; the next call tries again.
      return this.access !== null && this.deps.now() < this.expiresAt;
    }
    if (res.status === 401 || res.status === 403) {
      this.sessionEnded();
      return false;
    }
    if (!res.ok) return this.access !== null && this.deps.now() < this.expiresAt;
    this.adopt((await res.json()) as TokenResponse);
    return true;
  }

  async logout(): Promise<void> {
    const token = this.access;
    if (token) {
      await this.deps
        .fetch("/auth/logout", { method: "POST", headers: { authorization: `Bearer ${token}` }, credentials: "same-origin" })
        .catch(() => undefined);
    }
    this.sessionEnded();
  }

  /** The session is over (logged out, revoked, expired): forget everything. */
  sessionEnded(): void {
    const was = this.user;
    this.user = null;
    this.access = null;
    this.expiresAt = 0;
    clearTimeout(this.timer);
    if (was) this.emit();
  }

  /** Updates the cached user after a profile change. */
  setUser(user: User): void {
    this.user = user;
    this.emit();
  }

  private adopt(tokens: TokenResponse): void {
    const was = this.user?.id;
    this.access = tokens.access_token;
    this.expiresAt = this.deps.now() + tokens.expires_in * 1000;
    this.user = tokens.user;
    clearTimeout(this.timer);
    const inMs = Math.max(1000, tokens.expires_in * 1000 - EARLY_MS);
    this.timer = setTimeout(() => void this.refresh(), inMs);
    if (was !== this.user.id) this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l(this.user);
  }
}
