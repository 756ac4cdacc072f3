// A fake Stripe API for the browser tests: checks the key, Stripe-Version and Idempotency-Key
// like the real API, answers balance and Checkout Session requests with Stripe-shaped JSON,
// answers refunds, serves a stand-in checkout page, and signs webhook bodies exactly as Stripe does.
import { createHmac, randomUUID } from "node:crypto";
import { createServer, IncomingMessage, Server } from "node:http";

export const SECRET_KEY = "sk_test_51FakeKeyForChangemakerBrowserTests04242";
export const WEBHOOK_SECRET = "whsec_FakeSigningSecretForBrowserTests9876";
const STRIPE_VERSION = "2026-01-28.clover";

export interface FakeStripe {
  baseURL: string;
  sessions: Record<string, string>[];
  refunds: Record<string, string>[];
  stop: () => Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => ok(text));
  });
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const sessions: Record<string, string>[] = [];
  const refunds: Record<string, string>[] = [];
  let baseURL = "";
  const server: Server = createServer(async (req, res) => {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    const url = req.url ?? "/";
    if (url.startsWith("/checkout/")) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>Fake Stripe Checkout</title><h1>Fake Stripe Checkout</h1>");
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(await body(req)));
    if (req.headers.authorization !== `Bearer ${SECRET_KEY}`) {
      return json(401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
    }
    if (req.headers["stripe-version"] !== STRIPE_VERSION || !req.headers["idempotency-key"]) {
      return json(400, { error: { type: "invalid_request_error", message: "Stripe-Version and Idempotency-Key are required" } });
    }
    if (req.method === "GET" && url === "/v1/balance") {
      return json(200, { object: "balance", livemode: false, available: [], pending: [] });
    }
    if (req.method === "POST" && url === "/v1/checkout/sessions") {
      const id = `cs_test_${randomUUID().replace(/-/g, "")}`;
      sessions.push(form);
      return json(200, { id, object: "checkout.session", status: "open", payment_status: "unpaid", url: `${baseURL}/checkout/${id}` });
    }
    if (req.method === "POST" && url === "/v1/refunds") {
      refunds.push(form);
      return json(200, { id: `re_test_${randomUUID().replace(/-/g, "")}`, object: "refund", amount: Number(form.amount), payment_intent: form.payment_intent, status: "succeeded" });
    }
    json(404, { error: { type: "invalid_request_error", message: `Unrecognized request URL (${req.method}: ${url})` } });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  baseURL = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return { baseURL, sessions, refunds, stop: () => new Promise((ok) => server.close(() => ok())) };
}

// The body and Stripe-Signature header of a Stripe event.
export function signedEvent(id: string, type: string, object: unknown): { body: string; signature: string } {
  const body = JSON.stringify({ id, object: "event", type, api_version: STRIPE_VERSION, data: { object } });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", WEBHOOK_SECRET).update(`${t}.${body}`).digest("hex");
  return { body, signature: `t=${t},v1=${v1}` };
}
