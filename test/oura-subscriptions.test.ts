// Oura webhook subscriptions against the sandbox over real HTTP: `ensure` creates one per pulled kind
// and operation only for a callback that answers the challenge, is idempotent, renews what expires
// soon, and fails with the provider's status for wrong app credentials.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../providers/errors.ts';
import { ouraHttpContext } from '../providers/oura/client.ts';
import { startOuraSandbox } from '../providers/oura/sandbox/index.ts';
import type { OuraSandbox } from '../providers/oura/sandbox/types.ts';
import { createOuraSubscriptions } from '../providers/oura/subscriptions.ts';
import { createLocalBudget } from '../providers/rate-budget.ts';

const TOKEN = 'the-verification-token';
let sandbox: OuraSandbox;
let callback: Server;
let callbackUrl: string;
/** What the callback answers: the right challenge, or something else. */
let honest = true;

beforeAll(async () => {
  sandbox = await startOuraSandbox();
  callback = createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const ok = honest && query.get('verification_token') === TOKEN;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? { challenge: query.get('challenge') } : { error: 'no' }));
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/v1/webhooks/oura`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => callback?.close(() => resolve()));
  await sandbox?.close();
});

const stats = () => ({ apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 });
const subscriptions = (clientSecret = 'sandbox-secret', verificationToken: string | null = TOKEN) =>
  createOuraSubscriptions({
    ctx: ouraHttpContext({
      apiUrl: sandbox.url,
      tokenUrl: sandbox.tokenUrl,
      budget: createLocalBudget(6000),
    }),
    apiUrl: sandbox.url,
    clientId: 'sandbox-client',
    clientSecret,
    verificationToken: verificationToken ?? undefined,
  });
const later = () => new Date(Date.now() + 72 * 3_600_000);

describe('Oura webhook subscriptions', () => {
  it('is not configured without a verification token, and refuses to run', async () => {
    const unconfigured = subscriptions('sandbox-secret', null);
    expect(unconfigured.configured).toBe(false);
    await expect(unconfigured.ensure(callbackUrl, later(), stats())).rejects.toThrow(
      /OURA_WEBHOOK_VERIFICATION_TOKEN/,
    );
  });

  it('wrong app credentials: 401 from the API, nothing created', async () => {
    const error = await subscriptions('not-the-secret')
      .ensure(callbackUrl, later(), stats())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).status).toBe(401);
    expect(sandbox.control.subscriptions()).toEqual([]);
  });

  it('a callback that does not answer the challenge gets no subscription', async () => {
    honest = false;
    try {
      const error = await subscriptions()
        .ensure(callbackUrl, later(), stats())
        .catch((e: unknown) => e);
      expect((error as ProviderError).status).toBe(422);
      expect(sandbox.control.subscriptions()).toEqual([]);
    } finally {
      honest = true;
    }
  });

  it('creates 24 subscriptions once; a second run keeps them; one expiring soon is renewed', async () => {
    const first = stats();
    expect(await subscriptions().ensure(callbackUrl, later(), first)).toMatchObject({
      created: 24,
      renewed: 0,
      kept: 0,
    });
    expect(first.apiCalls).toBe(25);
    const again = stats();
    const kept = await subscriptions().ensure(callbackUrl, later(), again);
    expect(kept).toMatchObject({ created: 0, renewed: 0, kept: 24 });
    expect(again.apiCalls).toBe(1);
    const [soon] = sandbox.control.subscriptions();
    if (!soon) throw new Error('no subscription');
    const inAnHour = new Date(Date.now() + 3_600_000);
    sandbox.control.setSubscriptionExpiry(soon.id, inAnHour);
    const renewal = await subscriptions().ensure(callbackUrl, later(), stats());
    expect(renewal).toMatchObject({ created: 0, renewed: 1, kept: 23 });
    expect(Date.parse(renewal.earliestExpiry ?? '')).toBeGreaterThan(later().getTime());
    expect(sandbox.control.subscriptions()).toHaveLength(24);
  });
});
