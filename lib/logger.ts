import pino from "pino";

/**
 * Structured JSON logs. Secrets never reach them: known secret fields are redacted, and code
 * never logs a key or webhook secret on purpose.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: undefined,
  redact: {
    paths: [
      "apiKey",
      "*.apiKey",
      "secret",
      "*.secret",
      "password",
      "*.password",
      "authorization",
      "*.authorization",
      "headers.authorization",
      "*.headers.authorization",
      "webhookSecret",
      "*.webhookSecret",
    ],
    censor: "[redacted]",
  },
});
