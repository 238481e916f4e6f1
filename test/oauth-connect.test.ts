// The browser login of `wearhouse connect whoop`, against the sandbox's authorize and token
// endpoints over real HTTP: state is checked, a forged callback is refused, the code is exchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOAuthFlow, sameSecret } from '../cli/oauth.ts';
import { createLocalBudget } from '../providers/rate-budget.ts';
import { createWhoopRuntime } from '../providers/whoop/index.ts';
import { startWhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import type { WhoopSandbox } from '../providers/whoop/sandbox/types.ts';
import { freePort } from '../worker/stack/processes.ts';

let sandbox: WhoopSandbox;
beforeAll(async () => {
  sandbox = await startWhoopSandbox();
});
afterAll(() => sandbox?.close());

async function flow(open: (url: string, redirectUrl: string) => Promise<void>) {
  const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
  // The code is exchanged by the provider's runtime, as `wearhouse connect` does.
  const runtime = createWhoopRuntime({
    apiUrl: sandbox.url,
    tokenUrl: sandbox.tokenUrl,
    authorizeUrl: sandbox.authUrl,
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-secret',
    budget: createLocalBudget(6000),
  });
  const stats = { apiCalls: 0, rateLimited: 0, throttleWaitMs: 0 };
  return runOAuthFlow({
    authUrl: sandbox.authUrl,
    clientId: 'sandbox-client',
    redirectUrl,
    exchange: (code, redirectUri, verifier) => runtime.oauth.exchangeCode(code, redirectUri, verifier, stats),
    scope: 'offline read:sleep',
    open: (url) => open(url, redirectUrl),
    timeoutMs: 10_000,
  });
}

describe('OAuth connect flow', () => {
  it('exchanges the code for a working token pair', async () => {
    const tokens = await flow(async (url) => {
      // The "browser": the sandbox approves at once and redirects to our callback.
      await fetch(`${url}&login_hint=gina`);
    });
    expect(tokens.refreshToken.length).toBeGreaterThan(10);
    const response = await fetch(`${sandbox.url}/v2/user/profile/basic`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(response.status).toBe(200);
  });

  it('refuses a callback whose state does not match, and still completes with the real one', async () => {
    let forgedStatus = 0;
    const tokens = await flow(async (url, redirectUrl) => {
      const forged = await fetch(`${redirectUrl}?code=attacker-code&state=not-the-state`);
      forgedStatus = forged.status;
      await fetch(`${url}&login_hint=gina`);
    });
    expect(forgedStatus).toBe(400);
    expect(tokens.accessToken).toBeTruthy();
  });

  it('fails with a clear error when the user refuses', async () => {
    const error = await flow(async (url, redirectUrl) => {
      const state = new URL(url).searchParams.get('state') ?? '';
      await fetch(`${redirectUrl}?error=access_denied&state=${encodeURIComponent(state)}`);
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('authorization was refused: access_denied');
  });

  it("an error callback without this login's state cannot cancel it, nor can one without a code", async () => {
    const refused: number[] = [];
    const tokens = await flow(async (url, redirectUrl) => {
      const state = new URL(url).searchParams.get('state') ?? '';
      for (const query of ['error=access_denied', 'error=access_denied&state=guess', `state=${state}`]) {
        refused.push((await fetch(`${redirectUrl}?${query}`)).status);
      }
      await fetch(`${url}&login_hint=gina`);
    });
    expect(refused).toEqual([400, 400, 400]);
    expect(tokens.accessToken).toBeTruthy();
  });

  it('compares secrets (the constant-time property: test/security-secrets.test.ts)', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });
});
