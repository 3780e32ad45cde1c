// A few lines instead of a UI framework: `h` builds elements, the views own their subtree.
// (Why no framework: docs/web.md.)

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "class") el.className = String(v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Replaces the children of `el`. */
export function mount(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren(...(children.flat().filter(Boolean) as (Node | string)[]));
}

/** A message next to what caused it; `role=alert` so screen readers announce it. */
export function problemBox(): { el: HTMLElement; show(message: string | null): void } {
  const el = h("p", { class: "problem", role: "alert", hidden: true });
  return {
    el,
    show(message) {
      el.hidden = !message;
      el.textContent = message ?? "";
    },
  };
}

/** A transient notice at the bottom of the screen. */
export function toast(message: string, kind: "info" | "error" = "info"): void {
  let region = document.getElementById("toasts");
  if (!region) {
    region = h("div", { id: "toasts", "aria-live": "polite" });
    document.body.append(region);
  }
  const t = h("div", { class: `toast ${kind}` }, message);
  region.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
}

/** A button that shows progress while `task` runs and cannot be pressed twice. */
export async function busy<T>(button: HTMLButtonElement, task: () => Promise<T>): Promise<T> {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = `${label}…`;
  try {
    return await task();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Saves a Blob as a file. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
