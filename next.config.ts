import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Native and wasm packages are loaded from node_modules at run time, never bundled.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "pino", "postgres"],
  // The Docker image runs the self-contained `.next/standalone/server.js` (BUILD_STANDALONE=1 in
  // the Dockerfile); `npm start`, e2e and the bench run `next start` on the ordinary build.
  output: process.env.BUILD_STANDALONE === "1" ? "standalone" : undefined,
};

export default nextConfig;
