import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Native and wasm packages are loaded from node_modules at run time, never bundled.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pg-boss", "pino", "postgres"],
  // The Docker image runs the self-contained `.next/standalone/server.js` (BUILD_STANDALONE=1 in
  // the Dockerfile); `npm start`, e2e and the bench run `next start` on the ordinary build.
  output: process.env.BUILD_STANDALONE === "1" ? "standalone" : undefined,
  // A path no route matches is answered by Next's not-found page, which first tries to run a
  // `Next-Action` or multipart POST as a Server Action (400, 409 or 500). Such requests go to the
  // catch-all `app/api/[[...path]]/route.ts` instead: 404 for every method. Browsers' GETs still
  // get the not-found page.
  async rewrites() {
    return {
      beforeFiles: [],
      afterFiles: [],
      fallback: [
        { source: "/:path*", has: [{ type: "header", key: "next-action" }], destination: "/api/not-found" },
        { source: "/:path*", has: [{ type: "header", key: "content-type", value: "multipart/form-data.*" }], destination: "/api/not-found" },
      ],
    };
  },
};

export default nextConfig;
