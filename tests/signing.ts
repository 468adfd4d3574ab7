import { createHmac } from "node:crypto";

/**
 * Whop's three webhook signature schemes, computed independently of the app's verifier, for
 * tests, the load test and the benchmarks.
 */
export function signStandard(secret: string, body: string, id: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}

export function signLegacy(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return { "x-whop-signature": `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}` };
}

export function signBare(secret: string, body: string): Record<string, string> {
  return { "x-whop-signature": createHmac("sha256", secret).update(body).digest("hex") };
}
