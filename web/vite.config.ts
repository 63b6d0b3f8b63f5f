import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";
import { fileURLToPath } from "node:url";

// The API server to develop against (`convlens serve RUNS --port 8765`, or the mock in dev/).
const api = process.env.CONVLENS_API ?? "http://127.0.0.1:8765";

export default defineConfig({
  plugins: [vue()],
  base: "./",
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: api, changeOrigin: true, ws: true },
    },
  },
  build: {
    outDir: "../src/convlens/server/static",
    emptyOutDir: true,
    target: "es2020",
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes("node_modules/three")) return "three";
          if (id.includes("node_modules/regl") || id.includes("node_modules/dom-2d-camera") || id.includes("node_modules/@flekschas")) return "scatter";
          if (id.includes("node_modules/vue") || id.includes("node_modules/@vue")) return "vue";
          return undefined;
        },
      },
    },
  },
});
