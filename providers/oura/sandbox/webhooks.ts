// The spec's "Webhook Subscription Routes" and signed deliveries. Subscriptions are the app's, not a
// user's: x-client-id / x-client-secret authenticate them (401 otherwise). Creating one first checks
// the callback as Oura does: GET callback_url?verification_token=…&challenge=… must answer 200
// {"challenge": <the same>}, else 422 and nothing is created. Each subscription expires
// (`expiration_time`, `ttlMs` after creation or renewal); renew moves it. Unknown ids answer 403, as
// the spec documents. A notification is signed x-oura-signature = uppercase hex HMAC-SHA256(client
// secret, x-oura-timestamp + body) and POSTed to the callbacks subscribed to its (event, data) type.
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readJson, sendEmpty, sendJson } from '../../sandbox-kit/http.ts';

export const SUBSCRIPTION_PATH = '/v2/webhook/subscription';

/** ExtApiV2DataType in the spec. */
const DATA_TYPES = [
  'tag',
  'enhanced_tag',
  'workout',
  'session',
  'sleep',
  'daily_sleep',
  'daily_readiness',
  'daily_activity',
  'daily_spo2',
  'sleep_time',
  'rest_mode_period',
  'ring_configuration',
  'daily_stress',
  'daily_cardiovascular_age',
  'daily_resilience',
  'vo2_max',
  'meal',
] as const;
const OPERATIONS = ['create', 'update', 'delete'] as const;

const createBody = z.object({
  callback_url: z.url(),
  verification_token: z.string().min(1),
  event_type: z.enum(OPERATIONS),
  data_type: z.enum(DATA_TYPES),
});
const updateBody = z.object({
  verification_token: z.string().min(1),
  callback_url: z.url().nullish(),
  event_type: z.enum(OPERATIONS).nullish(),
  data_type: z.enum(DATA_TYPES).nullish(),
});

export interface SandboxSubscription {
  id: string;
  callback_url: string;
  event_type: (typeof OPERATIONS)[number];
  data_type: (typeof DATA_TYPES)[number];
  expiration_time: string;
}

export interface OuraNotification {
  userKey: string;
  eventType: 'create' | 'update' | 'delete';
  dataType: string;
  objectId: string;
  /** Default: now. */
  eventTime?: Date;
}

export interface SignedNotification {
  headers: Record<string, string>;
  rawBody: string;
}

export interface DeliveryResult extends SignedNotification {
  url: string;
  status: number;
  body: string;
}

export function signOuraNotification(secret: string, rawBody: string, timestampSeconds: number) {
  const timestamp = String(timestampSeconds);
  const signature = createHmac('sha256', secret)
    .update(timestamp)
    .update(rawBody)
    .digest('hex')
    .toUpperCase();
  return {
    'content-type': 'application/json',
    'x-oura-signature': signature,
    'x-oura-timestamp': timestamp,
  };
}

export class OuraWebhookHost {
  readonly subscriptions = new Map<string, SandboxSubscription & { verificationToken: string }>();

  constructor(
    private readonly app: { clientId: string; clientSecret: string; nowMs(): number },
    private readonly ttlMs: number,
    private readonly ouraUserIdOf: (userKey: string) => string,
  ) {}

  list(): SandboxSubscription[] {
    return [...this.subscriptions.values()].map(({ verificationToken: _t, ...s }) => ({ ...s }));
  }

  setExpiry(id: string, at: Date): void {
    const sub = this.subscriptions.get(id);
    if (!sub) throw new Error(`no subscription ${id}`);
    sub.expiration_time = at.toISOString();
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (
      req.headers['x-client-id'] !== this.app.clientId ||
      req.headers['x-client-secret'] !== this.app.clientSecret
    ) {
      return sendJson(res, 401, { detail: 'x-client-id and x-client-secret are required' });
    }
    const method = req.method ?? 'GET';
    if (path === SUBSCRIPTION_PATH) {
      if (method === 'GET') return sendJson(res, 200, this.list());
      if (method === 'POST') return this.create(req, res);
      return sendJson(res, 405, { detail: 'Method Not Allowed' });
    }
    const renew = /^\/v2\/webhook\/subscription\/renew\/([^/]+)$/.exec(path);
    const one = /^\/v2\/webhook\/subscription\/([^/]+)$/.exec(path);
    const id = decodeURIComponent(renew?.[1] ?? one?.[1] ?? '');
    const sub = this.subscriptions.get(id);
    if (!sub) return sendJson(res, 403, { detail: 'Webhook with specified id does not exist.' });
    const { verificationToken: _t, ...shown } = sub;
    if (renew && method === 'PUT') {
      sub.expiration_time = this.expiry();
      return sendJson(res, 200, { ...shown, expiration_time: sub.expiration_time });
    }
    if (renew) return sendJson(res, 405, { detail: 'Method Not Allowed' });
    if (method === 'GET') return sendJson(res, 200, shown);
    if (method === 'DELETE') {
      this.subscriptions.delete(id);
      return sendEmpty(res, 204);
    }
    if (method === 'PUT') {
      const parsed = updateBody.safeParse(await readJson(req));
      if (!parsed.success) return sendJson(res, 422, { detail: z.prettifyError(parsed.error) });
      const { callback_url, event_type, data_type, verification_token } = parsed.data;
      Object.assign(sub, {
        verificationToken: verification_token,
        ...(callback_url ? { callback_url } : {}),
        ...(event_type ? { event_type } : {}),
        ...(data_type ? { data_type } : {}),
      });
      const { verificationToken: _v, ...updated } = sub;
      return sendJson(res, 200, updated);
    }
    return sendJson(res, 405, { detail: 'Method Not Allowed' });
  }

  /** Signs a notification with the app's secret and POSTs it to `url`, or to every matching subscription. */
  async deliver(
    notification: OuraNotification,
    options: { url?: string; secret?: string; timestampSeconds?: number } = {},
  ) {
    const rawBody = JSON.stringify({
      event_type: notification.eventType,
      data_type: notification.dataType,
      object_id: notification.objectId,
      event_time: (notification.eventTime ?? new Date(this.app.nowMs())).toISOString(),
      user_id: this.ouraUserIdOf(notification.userKey),
    });
    const headers = signOuraNotification(
      options.secret ?? this.app.clientSecret,
      rawBody,
      options.timestampSeconds ?? Math.floor(Date.now() / 1000),
    );
    const urls = options.url
      ? [options.url]
      : [...this.subscriptions.values()]
          .filter((s) => s.event_type === notification.eventType && s.data_type === notification.dataType)
          .filter((s) => Date.parse(s.expiration_time) > this.app.nowMs())
          .map((s) => s.callback_url);
    const results: DeliveryResult[] = [];
    for (const url of urls) {
      const response = await fetch(url, { method: 'POST', headers, body: rawBody });
      results.push({ url, status: response.status, body: await response.text(), headers, rawBody });
    }
    return results;
  }

  private expiry(): string {
    return new Date(this.app.nowMs() + this.ttlMs).toISOString();
  }

  private async create(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = createBody.safeParse(await readJson(req));
    if (!parsed.success) return sendJson(res, 422, { detail: z.prettifyError(parsed.error) });
    const body = parsed.data;
    // Oura checks the endpoint before it subscribes it.
    const challenge = randomUUID();
    const check = new URL(body.callback_url);
    check.searchParams.set('verification_token', body.verification_token);
    check.searchParams.set('challenge', challenge);
    let answered: unknown;
    try {
      const response = await fetch(check, { signal: AbortSignal.timeout(10_000) });
      answered = response.ok ? await response.json() : undefined;
    } catch {
      answered = undefined;
    }
    if ((answered as { challenge?: unknown } | undefined)?.challenge !== challenge) {
      return sendJson(res, 422, { detail: 'the callback did not answer the verification challenge' });
    }
    const sub = {
      id: randomUUID(),
      callback_url: body.callback_url,
      event_type: body.event_type,
      data_type: body.data_type,
      expiration_time: this.expiry(),
      verificationToken: body.verification_token,
    };
    this.subscriptions.set(sub.id, sub);
    const { verificationToken: _t, ...shown } = sub;
    return sendJson(res, 201, shown);
  }
}
