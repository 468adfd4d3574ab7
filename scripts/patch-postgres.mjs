/**
 * postinstall: a two-part fix for postgres.js 3.4.9 (the newest release), until upstream ships
 * one (porsager/postgres#1154, #1208; PRs #1168, #1209). When Postgres drops a connection while a
 * small write is queued, the driver
 *   1. writes to the now-null socket from a setImmediate: an uncaught TypeError that kills the
 *      process (`Cannot read properties of null (reading 'write')`), and
 *   2. leaves a stale write timer behind, so that pooled connection never flushes again and every
 *      query routed to it hangs.
 * Both showed up in `npm run test:load` when it terminates the app's backends mid-load (requests
 * stalled 10 s and more; with the patch the slowest answers in well under a second). The fix
 * resets the write state on close and fails the query (CONNECTION_CLOSED) instead of crashing.
 * Under heavy CPU contention the driver can still leave a rare in-flight query unsettled; the
 * webhook route's deadline answers 503 then, and Whop retries.
 * Idempotent; exits quietly if the driver's code changed shape (then check whether it is fixed).
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MARKER = "/* whop-connector: null-socket guard */";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const files = ["src/connection.js", "cjs/src/connection.js"].map((f) => path.join(root, "node_modules", "postgres", f));

const GUARDED_WRITE = `function nextWrite(fn) {
    ${MARKER}
    if (!socket) {
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
    const x = socket.write(chunk, fn)`;

let patched = 0;
for (const file of files) {
  if (!fs.existsSync(file)) continue;
  let source = fs.readFileSync(file, "utf8");
  if (source.includes(MARKER)) continue;
  const original = source;
  source = source.replace("function nextWrite(fn) {\n    const x = socket.write(chunk, fn)", GUARDED_WRITE);
  // terminate() and closed(): drop the queued write along with its timer.
  source = source.replace(/\n(\s+)clearImmediate\(nextWriteTimer\)\n/g, "\n$1clearImmediate(nextWriteTimer)\n$1chunk = nextWriteTimer = null\n");
  if (source === original || !source.includes(MARKER)) {
    console.warn(`patch-postgres: ${path.relative(root, file)} has changed shape; not patched (check whether the driver fixed the null-socket bug)`);
    continue;
  }
  fs.writeFileSync(file, source);
  patched++;
}
if (patched > 0) console.log(`patch-postgres: guarded postgres.js against writes to a closed socket (${patched} file(s))`);
