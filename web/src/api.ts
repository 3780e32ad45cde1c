// The REST API, with problem+json errors turned into ApiError and the access token attached.

import type { Auth } from "./auth";

export interface FieldProblem {
  field: string;
  message: string;
}

/** A problem+json answer (RFC 9457), or a network failure (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    readonly errors: FieldProblem[] = [],
    readonly retryAfter?: number,
  ) {
    super(detail ?? title);
  }

  /** A sentence for a person. */
  get human(): string {
    if (this.status === 0) return "Can't reach the server. Check your connection and try again.";
    if (this.errors.length) return this.errors.map((e) => `${label(e.field)} ${e.message}.`).join(" ");
    return this.detail ?? this.title;
  }

  /** The message for one field, if the server named it. */
  field(name: string): string | undefined {
    return this.errors.find((e) => e.field === name)?.message;
  }
}

function label(field: string): string {
  const words = field.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy's error page): fall back to the status
  }
  const retry = Number(res.headers.get("retry-after"));
  return new ApiError(
    res.status,
    String(body.code ?? `http_${res.status}`),
    String(body.title ?? res.statusText ?? "Request failed"),
    typeof body.detail === "string" ? body.detail : undefined,
    Array.isArray(body.errors) ? (body.errors as FieldProblem[]) : [],
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

export interface RequestOptions {
  body?: unknown;
  /** A raw body (FormData, Blob) sent as is. */
  raw?: BodyInit;
  headers?: Record<string, string>;
  /** Resolve with the Response instead of parsed JSON (downloads). */
  response?: boolean;
  signal?: AbortSignal;
}

export class Api {
  constructor(private readonly auth: Auth) {}

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    let res = await this.send(method, path, o, false);
    if (res.status === 401 && this.auth.signedIn) {
      // The access token may have expired a moment ago: one retry with a fresh one.
      res = await this.send(method, path, o, true);
      if (res.status === 401) this.auth.sessionEnded();
    }
    if (!res.ok) throw await toApiError(res);
    if (o.response) return res as T;
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  get<T>(path: string, o?: RequestOptions) {
    return this.request<T>("GET", path, o);
  }
  post<T>(path: string, body?: unknown, o?: RequestOptions) {
    return this.request<T>("POST", path, { ...o, body });
  }
  put<T>(path: string, body?: unknown, o?: RequestOptions) {
    return this.request<T>("PUT", path, { ...o, body });
  }
  delete<T>(path: string, o?: RequestOptions) {
    return this.request<T>("DELETE", path, o);
  }

  private async send(method: string, path: string, o: RequestOptions, fresh: boolean): Promise<Response> {
    const token = await this.auth.token(fresh);
    const headers: Record<string, string> = { ...o.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined = o.raw;
    if (o.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(o.body);
    }
    try {
      return await fetch(path, { method, headers, body, signal: o.signal, credentials: "same-origin" });
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new ApiError(0, "network", "Network error", undefined);
    }
  }
}
