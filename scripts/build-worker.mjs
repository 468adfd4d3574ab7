/**
 * Builds the job worker (`scripts/worker.ts` and the app code it imports) into one plain-Node
 * file, `dist/worker.mjs`, with esbuild: our TypeScript bundled, every npm package left to
 * node_modules (`packages: "external"`). `npm run worker` and `npm run build` run it; it takes a
 * fraction of a second. Run by plain `node`, the worker needs neither tsx nor its TypeScript
 * loader at run time, which roughly halves its memory (bench/README.md, `outbound`).
 *
 * The file is written next to its final name and renamed into place, so workers starting from the
 * same checkout while it is rebuilt read the old file or the new one, never half of one.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
export const WORKER_BUNDLE = path.join(root, "dist", "worker.mjs");

export async function buildWorker() {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ["scripts/worker.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    tsconfig: "tsconfig.json",
    // dist/worker.mjs.map: stack traces name the TypeScript files when run with --enable-source-maps.
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
    outfile: WORKER_BUNDLE,
    write: false,
  });
  fs.mkdirSync(path.dirname(WORKER_BUNDLE), { recursive: true });
  // The map first, so the bundle never names a map that is not there yet.
  const isMap = (file) => file.path.endsWith(".map");
  for (const file of [...result.outputFiles.filter(isMap), ...result.outputFiles.filter((file) => !isMap(file))]) {
    const temporary = `${file.path}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, file.contents);
    fs.renameSync(temporary, file.path);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWorker();
}
