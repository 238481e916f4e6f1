// Sandbox extension: WHOOP's webhook delivery. Signs a v2 event the way WHOOP does (base64
// HMAC-SHA256 of timestamp + body with the app's client secret, headers X-WHOOP-Signature and
// X-WHOOP-Signature-Timestamp) and POSTs it to a URL, so `serve` can be tested end to end.
import { randomUUID } from 'node:crypto';
import { signWhoopWebhook } from '../webhooks.ts';
import type { SandboxState } from './state.ts';
import type { DeliveryResult, WebhookDelivery } from './types.ts';

export function webhookBody(state: SandboxState, delivery: WebhookDelivery): string {
  return JSON.stringify({
    user_id: state.user(delivery.userKey).params.userId,
    id: delivery.id,
    type: delivery.type,
    trace_id: delivery.traceId ?? randomUUID(),
  });
}

export async function deliverWebhook(
  state: SandboxState,
  delivery: WebhookDelivery,
): Promise<DeliveryResult> {
  const rawBody = webhookBody(state, delivery);
  const timestamp = String(delivery.timestampMs ?? state.nowMs());
  const headers = {
    'content-type': 'application/json',
    'x-whoop-signature-timestamp': timestamp,
    'x-whoop-signature': signWhoopWebhook(delivery.secret ?? state.clientSecret, timestamp, rawBody),
  };
  return send(delivery.url, rawBody, headers);
}

/** Sends bytes and headers as they are (re-deliveries, tampered bodies). */
export async function send(
  url: string,
  rawBody: string,
  headers: Record<string, string>,
): Promise<DeliveryResult> {
  const response = await fetch(url, { method: 'POST', headers, body: rawBody });
  return { status: response.status, body: await response.text(), rawBody, headers };
}
