// The rendered Markdown preview, sanitized: a document is written by other people.

import DOMPurify from "dompurify";
import { marked } from "marked";
import type { App } from "../app";

export function renderPreview(app: App, el: HTMLElement, documentId: string, markdownText: string): void {
  const html = marked.parse(markdownText, { async: false, gfm: true }) as string;
  el.innerHTML = DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input"] });
  for (const a of el.querySelectorAll("a")) {
    a.setAttribute("rel", "noopener noreferrer");
    a.setAttribute("target", "_blank");
  }
  // Attachments need the access token, which an <img> cannot send: fetch them as blobs.
  const prefix = `/documents/${documentId}/attachments/`;
  for (const img of el.querySelectorAll("img")) {
    const src = img.getAttribute("src") ?? "";
    if (!src.startsWith(prefix)) continue;
    img.removeAttribute("src");
    void app.api
      .get<Response>(src, { response: true })
      .then((r) => r.blob())
      .then((b) => (img.src = URL.createObjectURL(b)))
      .catch(() => (img.alt = `${img.alt} (could not load)`));
  }
}
