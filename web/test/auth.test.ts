// Token refresh: early, once at a time, and signing out when the session is gone.

import { describe, expect, it } from "vitest";
import { Auth } from "../src/auth";
import type { AuthDeps } from "../src/auth";

const user = { id: "u1", email: "a@example.com", username: "ada", display_name: "Ada", bio: "", avatar_url: null };

function server() {
  let n = 0;
  const calls: { url: string; headers: Record<string, string>; body?: string }[] = [];
  let refreshStatus = 200;
  const fetch = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: init.body as string });
    if (url === "/auth/refresh" && refreshStatus !== 200) {
      return new Response(JSON.stringify({ code: "invalid_refresh_token", title: "x" }), { status: refreshStatus });
    }
    n++;
    return new Response(
      JSON.stringify({ access_token: `access-${n}`, expires_in: 900, access_token_expires_at: "", user }),
      { status: 200, headers: { "content-type": "application/json" } },
    );
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls, fail: (s: number) => (refreshStatus = s) };
}

function auth(s: ReturnType<typeof server>, clock: { t: number }) {
  const deps: AuthDeps = { fetch: s.fetch, now: () => clock.t, lock: (task) => task() };
  return new Auth(deps);
}

describe("the token store", () => {
  it("signs in in browser mode and keeps no refresh token", async () => {
    const s = server();
    const a = auth(s, { t: 0 });
    await a.login("ada", "pw");
    expect(s.calls[0].headers["x-tandem-browser"]).toBe("1");
    expect(JSON.parse(s.calls[0].body!)).toEqual({ username: "ada", password: "pw" });
    expect(await a.token()).toBe("access-1");
  });

  it("refreshes shortly before expiry, and concurrent callers share one refresh", async () => {
    const s = server();
    const clock = { t: 0 };
    const a = auth(s, clock);
    await a.login("ada@example.com", "pw");
    clock.t = 880_000; // within 30 s of expiry
    const [x, y, z] = await Promise.all([a.token(), a.token(), a.token()]);
    expect([x, y, z]).toEqual(["access-2", "access-2", "access-2"]);
    expect(s.calls.filter((c) => c.url === "/auth/refresh")).toHaveLength(1);
    expect(s.calls[1].body).toBe("{}");
  });

  it("signs out when the refresh is refused, and tells the app", async () => {
    const s = server();
    const clock = { t: 0 };
    const a = auth(s, clock);
    await a.login("ada", "pw");
    const seen: (string | null)[] = [];
    a.onChange((u) => seen.push(u?.id ?? null));
    s.fail(401);
    expect(await a.token(true)).toBeNull();
    expect(a.signedIn).toBe(false);
    expect(seen).toEqual([null]);
  });

  it("keeps the session through a network failure while the token is still valid", async () => {
    const s = server();
    const clock = { t: 0 };
    const a = auth(s, clock);
    await a.login("ada", "pw");
    const failing = { ...s, fetch: (async () => { throw new TypeError("offline"); }) as unknown as typeof fetch };
    (a as unknown as { deps: AuthDeps }).deps.fetch = failing.fetch;
    clock.t = 870_000;
    expect(await a.token()).toBe("access-1");
    expect(a.signedIn).toBe(true);
  });
});
