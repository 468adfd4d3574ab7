import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

/*
 * `node dist/worker.mjs` links every package the bundle imports before a line of the worker runs,
 * with plain Node's ESM resolution — stricter than Next's or tsx's (no `next/server` without its
 * `.js`). A module of the app that pulls in a request-only import (`next/server`, once, through
 * the webhook ingest) stops the worker at start; its sweeps and deliveries never run.
 */
it("the worker bundle's every package import loads in plain Node", async () => {
  const root = path.resolve(import.meta.dirname, "../..");
  execFileSync(process.execPath, [path.join(root, "scripts/build-worker.mjs")], { cwd: root, stdio: "pipe" });
  const bundle = fs.readFileSync(path.join(root, "dist/worker.mjs"), "utf8");
  const packages = [...new Set([...bundle.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)"([^".][^"]*)"/g)].map((match) => match[1]!))].filter((name) => !name.startsWith("node:"));
  expect(packages).toContain("pg-boss");
  const script = `for (const name of ${JSON.stringify(packages)}) await import(name);`;
  expect(() => execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: path.join(root, "dist"), stdio: "pipe" })).not.toThrow();
}, 60_000);
