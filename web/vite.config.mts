import react from "@vitejs/plugin-react";
import path from "node:path";
import { defineConfig } from "vite";

// The bank node serves web/dist as static files; every API call is same-origin, so no dev proxy is needed for the build.
export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  plugins: [react()],
  build: {
    outDir: path.join(import.meta.dirname, "dist"),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2_000,
  },
  server: {
    proxy: Object.fromEntries(
      ["/facilities", "/approvals", "/whitelist", "/payees", "/documents", "/demo", "/regulator-api", "/evidence"].map(
        (p) => [p, process.env.BANK_NODE_URL ?? "http://127.0.0.1:8080"],
      ),
    ),
  },
});
