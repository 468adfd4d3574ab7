import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { newId } from "./ids";
import type { DeliveryAttempt, SandboxState, WebhookEndpoint } from "./state";

/** One thing that happened, in both payload dialects the sandbox can send. */
export interface WebhookEvent {
  /** v1 event name, e.g. `payment.succeeded`. */
  type: string;
  companyId: string;
  v1Data: unknown;
  v5Data: unknown;
}

/** Whop's schedule: retried after 10 s, 20 s and 40 s, then dropped. */
export const RETRY_DELAYS_MS = [10_000, 20_000, 40_000] as const;
export const DELIVERY_TIMEOUT_MS = 10_000;
/** A scaled timeout below this would fail even a healthy local receiver. */
const MIN_DELIVERY_TIMEOUT_MS = 250;

const V5_ACTION_NAMES: Record<string, string> = {
  "membership.activated": "membership.went_valid",
  "membership.deactivated": "membership.went_invalid",
};
const EVENT_ALIASES: Record<string, string> = {
  "membership.went_valid": "membership.activated",
  "membership.went_invalid": "membership.deactivated",
};

function canonicalEventName(name: string): string {
  const dotted = name.includes(".") ? name : name.replace(/_/g, ".");
  return EVENT_ALIASES[dotted] ?? dotted;
}

export function webhookWantsEvent(hook: WebhookEndpoint, eventType: string): boolean {
  if (!hook.enabled) return false;
  if (hook.events.length === 0) return true;
  const wanted = canonicalEventName(eventType);
  return hook.events.some((name) => canonicalEventName(name) === wanted);
}

/** Standard Webhooks scheme: `v1,` + base64 HMAC-SHA256 keyed by the secret string's UTF-8 bytes. */
export function signStandardWebhook(secret: string, messageId: string, timestamp: number, body: string): string {
  const digest = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${messageId}.${timestamp}.${body}`).digest("base64");
  return `v1,${digest}`;
}

/** Legacy v5 scheme: `t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`. */
export function signWhopV5(secret: string, timestamp: number, body: string): string {
  const digest = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${digest}`;
}

interface OutgoingMessage {
  messageId: string;
  hook: WebhookEndpoint;
  /** The version the body was built for: retries sign it the same way even if the webhook was edited since. */
  apiVersion: WebhookEndpoint["apiVersion"];
  eventType: string;
  body: string;
}

function buildMessage(hook: WebhookEndpoint, event: WebhookEvent, messageId: string, occurredAt: Date): OutgoingMessage {
  if (hook.apiVersion === "v5") {
    const action = V5_ACTION_NAMES[event.type] ?? event.type;
    return { messageId, hook, apiVersion: "v5", eventType: action, body: JSON.stringify({ action, api_version: "v5", data: event.v5Data }) };
  }
  const envelope = {
    id: messageId,
    api_version: "v1",
    timestamp: occurredAt.toISOString(),
    type: event.type,
    company_id: event.companyId,
    data: event.v1Data,
  };
  return { messageId, hook, apiVersion: "v1", eventType: event.type, body: JSON.stringify(envelope) };
}

function signedHeaders(message: OutgoingMessage, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  const common = {
    "content-type": "application/json",
    "user-agent": "Whop-Local-Sandbox/1.0",
    "content-length": String(Buffer.byteLength(message.body)),
  };
  if (message.apiVersion === "v5") {
    return { ...common, "x-whop-signature": signWhopV5(message.hook.secret, timestamp, message.body) };
  }
  return {
    ...common,
    "webhook-id": message.messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signStandardWebhook(message.hook.secret, message.messageId, timestamp, message.body),
  };
}

interface PostResult {
  statusCode: number | null;
  error: string | null;
}

function postOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number, inFlight: Set<http.ClientRequest>): Promise<PostResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ statusCode: null, error: "invalid url" });
      return;
    }
    const transport = target.protocol === "https:" ? https : http;
    // agent: false = one connection per attempt, so nothing lingers after close().
    const request = transport.request(target, { method: "POST", headers, agent: false });
    inFlight.add(request);
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = (result: PostResult) => {
      clearTimeout(timer);
      inFlight.delete(request);
      resolve(result);
    };
    request.on("response", (response) => {
      response.resume();
      response.on("end", () => finish({ statusCode: response.statusCode ?? null, error: null }));
      response.on("error", (error) => finish({ statusCode: response.statusCode ?? null, error: error.message }));
    });
    request.on("error", (error) => finish({ statusCode: null, error: error.message }));
    request.end(body);
  });
}

export interface DispatcherOptions {
  timeScale: number;
  log: (line: string) => void;
}

/** Sends events to every matching webhook with Whop's retry schedule and logs each attempt. */
export class WebhookDispatcher {
  private timers = new Set<NodeJS.Timeout>();
  private inFlight = new Set<http.ClientRequest>();
  private closed = false;
  private nextAttemptId = 1;

  constructor(
    private readonly state: SandboxState,
    private readonly options: DispatcherOptions,
  ) {}

  dispatch(event: WebhookEvent): void {
    const occurredAt = new Date();
    const messageId = newId("msg");
    for (const hook of this.state.webhooks.values()) {
      if (hook.companyId !== event.companyId || !webhookWantsEvent(hook, event.type)) continue;
      const message = buildMessage(hook, event, messageId, occurredAt);
      this.schedule(() => this.attempt(message, 1), 0);
    }
  }

  /** Stops retries and aborts deliveries in flight; the process can exit afterwards. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const request of this.inFlight) request.destroy();
    this.inFlight.clear();
  }

  /** Forgets pending retries (sandbox reset) but keeps accepting new events. */
  cancelPending(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private get timeoutMs(): number {
    return Math.max(MIN_DELIVERY_TIMEOUT_MS, DELIVERY_TIMEOUT_MS * this.options.timeScale);
  }

  private schedule(run: () => void, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async attempt(message: OutgoingMessage, attemptNumber: number): Promise<void> {
    if (this.closed) return;
    const startedAt = new Date();
    const record: DeliveryAttempt = {
      id: this.nextAttemptId++,
      messageId: message.messageId,
      webhookId: message.hook.id,
      companyId: message.hook.companyId,
      url: message.hook.url,
      eventType: message.eventType,
      apiVersion: message.apiVersion,
      attempt: attemptNumber,
      statusCode: null,
      error: null,
      delivered: false,
      startedAt,
      finishedAt: null,
      nextRetryAt: null,
    };
    this.state.deliveries.push(record);
    const result = await postOnce(message.hook.url, signedHeaders(message, startedAt), message.body, this.timeoutMs, this.inFlight);
    if (this.closed) return;
    record.statusCode = result.statusCode;
    record.error = result.error ?? (result.statusCode !== null && !isSuccess(result.statusCode) ? `HTTP ${result.statusCode}` : null);
    record.delivered = result.statusCode !== null && isSuccess(result.statusCode);
    record.finishedAt = new Date();
    const retryDelay = RETRY_DELAYS_MS[attemptNumber - 1];
    const outcome = record.delivered ? "delivered" : `failed (${record.error})`;
    this.options.log(`webhook ${message.eventType} ${message.messageId} → ${message.hook.url} attempt ${attemptNumber}: ${outcome}`);
    if (record.delivered || retryDelay === undefined) return;
    const delayMs = retryDelay * this.options.timeScale;
    record.nextRetryAt = new Date(Date.now() + delayMs);
    this.schedule(() => void this.attempt(message, attemptNumber + 1), delayMs);
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
