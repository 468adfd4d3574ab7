import pino, { type DestinationStream, type Logger } from "pino";

/**
 * Structured JSON logs, one line per event, on stdout. Secrets never reach them, in three layers:
 * 1. pino `redact` censors known secret fields (API keys, webhook secrets, passwords, auth and
 *    cookie headers) down to four levels of nesting;
 * 2. the `log`/`bindings` formatters censor the same field names at any depth, whatever their
 *    spelling (`Authorization`, `x-api-key`, `webhook_secret`), and turn errors into plain
 *    objects so that the next layer sees their message and stack;
 * 3. every finished line is scanned for values shaped like a Whop key or webhook secret
 *    (`apik_…`, `ws_…`, `whsec_…`), wherever they ended up: message, field, error, stack.
 * Code never logs a key, a secret or a webhook body on purpose; these layers are the safety net.
 */

export type { Logger };

export const REDACTED = "[redacted]";

const SECRET_FIELDS = ["apiKey", "api_key", "secret", "webhookSecret", "webhook_secret", "password", "authorization", "Authorization", "cookie", "Cookie", "set-cookie", "Set-Cookie"];

/** `key`, `*.key`, `*.*.key`, `*.*.*.key`, with bracket notation for names like `set-cookie`. */
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_FIELDS) {
    const leaf = /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`;
    paths.push(leaf.startsWith(".") ? field : leaf);
    for (const prefix of ["*", "*.*", "*.*.*"]) paths.push(`${prefix}${leaf}`);
  }
  return paths;
}

/** Field names whose value is a secret, compared without case, `-` or `_`. */
function isSecretField(name: string): boolean {
  const key = name.toLowerCase().replace(/[-_]/g, "");
  return (
    key === "authorization" ||
    key === "cookie" ||
    key === "setcookie" ||
    key.endsWith("apikey") ||
    key.endsWith("secret") ||
    key.endsWith("token") ||
    key.endsWith("password")
  );
}

/**
 * Values shaped like a Whop company key (`apik_…`), a Whop webhook secret (`ws_…`), a Standard
 * Webhooks secret (`whsec_…`) or one of our merchant API tokens (`whc_…`). Long enough not to
 * catch ids or prose such as "ws_x".
 */
const SECRET_VALUE = /(?<![A-Za-z0-9])(?:apik|whsec|ws|whc)_[A-Za-z0-9_.+/=-]{8,}/g;

export function maskSecretValues(text: string): string {
  return text.replace(SECRET_VALUE, (match) => `${match.slice(0, match.indexOf("_") + 1)}${REDACTED}`);
}

const MAX_DEPTH = 10;

/** Copies a log object with secret fields censored at any depth and errors made plain. */
function censorFields(value: unknown, seen = new WeakSet<object>(), depth = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[Circular]";
  if (depth > MAX_DEPTH) return "[too deep]";
  seen.add(value);
  const source = value instanceof Error ? pino.stdSerializers.err(value) : value;
  let copy: unknown;
  if (Array.isArray(source)) {
    copy = source.map((entry) => censorFields(entry, seen, depth + 1));
  } else if (source instanceof Date || source instanceof URL || Buffer.isBuffer(source)) {
    copy = source;
  } else if (source instanceof Headers) {
    copy = censorFields(Object.fromEntries(source.entries()), seen, depth + 1);
  } else {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(source)) {
      out[key] = isSecretField(key) && entry !== undefined && entry !== null ? REDACTED : censorFields(entry, seen, depth + 1);
    }
    copy = out;
  }
  seen.delete(value);
  return copy;
}

/** The last step before a line is written: mask secret-shaped values anywhere in it. */
function maskingStream(destination: DestinationStream): DestinationStream {
  return { write: (line: string) => destination.write(maskSecretValues(line)) };
}

/**
 * A logger writing to `destination` (stdout by default, synchronously so that nothing is lost
 * when the process exits). Tests pass a stream that captures the lines.
 */
export function createLogger(destination?: DestinationStream, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => censorFields(object) as Record<string, unknown>,
        bindings: (bindings) => censorFields(bindings) as Record<string, unknown>,
      },
      // The `log` formatter has already turned errors into plain objects; serialize only what it left.
      serializers: { err: (value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value) },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    maskingStream(destination ?? pino.destination({ dest: 1, sync: true })),
  );
}

export const logger = createLogger();
