import { defineConfig } from "vitest/config";

// The app is served by tandem at `/`, with the API on the same origin. `npm run dev` proxies
// the API to a tandem on :8080 so the app can be developed with hot reload.
const api = process.env.TANDEM_URL ?? "http://127.0.0.1:8080";
const proxied = ["/auth", "/users", "/documents", "/templates", "/search", "/collab", "/files", "/health", "/openapi.json", "/.well-known"];

export default defineConfig({
  // The size that matters is what a browser downloads to open the editor, gzipped: measured
  // by bench/web.sh against a budget, not by this warning.
  build: { outDir: "dist", sourcemap: true, target: "es2022", chunkSizeWarningLimit: 1024 },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, ws: p === "/collab", changeOrigin: false }])),
  },
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
