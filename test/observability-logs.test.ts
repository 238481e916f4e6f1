// The worker's log lines over a whole backfill (expired access token refreshed, 429s, 5xx and
// malformed records injected, continued as new) and a manual sync: every activity line says which
// workflow run, activity, user, provider, kind and window it is about; the workflows log their
// milestones once each; and no token, client secret or authorization header appears anywhere.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackfill, startSync } from '../cli/operations.ts';
import { day, iso, startWhoopStack, type WhoopStack } from './support/whoop-stack.ts';
import { waitUntil } from './support/worker-process.ts';

const USER = 'nora';
const CLIENT_SECRET = 'observability-client-secret';

type Line = Record<string, unknown> & { msg?: string };

/**
 * Sits between the worker and the sandbox's token endpoint and keeps every token the sandbox hands
 * out, so the search below looks for the real strings, whatever the worker did with them.
 */
async function startTokenTap(): Promise<{
  url: string;
  issued: string[];
  target: { url: string };
  server: Server;
}> {
  const issued: string[] = [];
  const target = { url: '' };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const response = await fetch(target.url, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? '', accept: 'application/json' },
      body: Buffer.concat(chunks),
    });
    const body = await response.text();
    try {
      const json = JSON.parse(body) as { access_token?: string; refresh_token?: string };
      for (const token of [json.access_token, json.refresh_token]) if (token) issued.push(token);
    } catch {
      // An error body holds no token.
    }
    res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'text/plain' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/oauth/oauth2/token`, issued, target, server };
}

let stack: WhoopStack;
let tap: Awaited<ReturnType<typeof startTokenTap>>;
let lines: Line[];
let secrets: string[];
let backfillRuns: Set<string>;
let continuedAsNew: number;

beforeAll(async () => {
  tap = await startTokenTap();
  stack = await startWhoopStack({
    sandbox: { requestsPerMinute: 3000, clientSecret: CLIENT_SECRET },
    env: { WHOOP_TOKEN_URL: tap.url, WHOOP_CLIENT_SECRET: CLIENT_SECRET },
  });
  tap.target.url = stack.sandbox.tokenUrl;
  const initial = stack.sandbox.control.issueTokens(USER);
  // Expired at the provider but not in our records: the first pages get 401 and force a refresh.
  stack.sandbox.control.expireAccessToken(initial.accessToken);
  await stack.connectUserWith(USER, { ...initial, expiresIn: 3600 });
  stack.sandbox.control.setFaults({
    serverErrorRate: 0.05,
    rateLimitStormRate: 0.05,
    malformedRecordRate: 0.03,
  });
  const backfill = await startBackfill(stack.temporal.client, stack.temporal.config, {
    userId: USER,
    provider: 'whoop',
    from: iso(day(-150)),
    to: iso(day(-20)),
    // Few windows per run, so the backfill continues as new and logs it.
    options: { windowsPerRun: 8 },
  } as never);
  const result = await backfill.result();
  continuedAsNew = result.continuedAsNew;
  await (
    await startSync(stack.temporal.client, stack.temporal.config, { userId: USER, provider: 'whoop' })
  ).result();
  stack.sandbox.control.setFaults({});
  backfillRuns = new Set<string>();
  for await (const execution of stack.temporal.client.workflow.list({
    query: `WorkflowId = '${backfill.workflowId}'`,
  })) {
    backfillRuns.add(execution.runId);
  }
  // Workflow log calls reach the logger after the workflow task that made them completes, so a little
  // after the client sees the result.
  await waitUntil("the workflows' last log lines", async () =>
    ['"msg":"backfill done"', '"msg":"sync done"'].every((m) =>
      stack.temporal.logLines.some((l) => l.includes(m)),
    ),
  );
  secrets = [initial.accessToken, initial.refreshToken, ...tap.issued, CLIENT_SECRET];
  lines = stack.temporal.logLines.map((text) => JSON.parse(text) as Line);
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => tap?.server.close(resolve));
});

const WINDOW_FIELDS = ['workflowId', 'runId', 'activity', 'userId', 'provider', 'kind', 'window'] as const;
const missing = (line: Line, fields: readonly string[]) =>
  fields.filter((f) => typeof line[f] !== 'string' && typeof line[f] !== 'number');

describe('activity log lines', () => {
  it('every syncWindow line names the workflow run, activity, user, provider, kind and window', () => {
    // "Activity started" is the SDK's line written before the activity's input is decoded: it names the
    // run and the activity only (worker/activity-log-fields.ts).
    const windowLines = lines.filter((l) => l.activity === 'syncWindow' && l.msg !== 'Activity started');
    const messages = new Set(windowLines.map((l) => l.msg));
    // Ours and the SDK's, for windows that were stored and attempts that failed.
    for (const msg of ['window stored', 'window failed', 'Activity completed', 'Activity failed']) {
      expect(messages, msg).toContain(msg);
    }
    for (const line of windowLines) {
      expect(missing(line, WINDOW_FIELDS), JSON.stringify(line)).toEqual([]);
      expect(line.userId).toBe(USER);
      expect(line.window).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z\/\d{4}-\d{2}-\d{2}T[\d:.]+Z$/);
    }
    // The run ids are the backfill's real runs (it continued as new) or the sync's.
    const backfillLines = windowLines.filter((l) => String(l.workflowId).startsWith('backfill:'));
    expect(new Set(backfillLines.map((l) => l.runId))).toEqual(backfillRuns);
    expect(backfillRuns.size).toBe(continuedAsNew + 1);
    expect(windowLines.some((l) => String(l.workflowId).startsWith(`sync:whoop:${USER}:manual-`))).toBe(true);
  });

  it('failed attempts say their class; the SDK lines of the planning activities name the user', () => {
    const failed = lines.filter((l) => l.msg === 'window failed');
    expect(new Set(failed.map((l) => l.errorClass))).toEqual(new Set(['RateLimited', 'ProviderUnavailable']));
    for (const activity of ['checkConnection', 'planBackfill', 'planIncremental']) {
      const own = lines.filter((l) => l.activity === activity && l.msg === 'Activity completed');
      expect(own.length, activity).toBeGreaterThan(0);
      for (const line of own) {
        expect(missing(line, ['workflowId', 'runId', 'activity', 'userId', 'provider']), activity).toEqual(
          [],
        );
      }
    }
  });
});

describe('workflow log lines', () => {
  const workflowLines = (msg: string) => lines.filter((l) => l.msg === msg && l.sdkComponent === 'workflow');

  it('log start, plan, continue-as-new and done once each, with the run and the user', () => {
    expect(workflowLines('backfill started')).toHaveLength(1);
    expect(workflowLines('windows planned').filter((l) => l.workflowType === 'backfill')).toHaveLength(1);
    expect(workflowLines('continuing as new')).toHaveLength(continuedAsNew);
    expect(workflowLines('backfill continued as new')).toHaveLength(continuedAsNew);
    expect(continuedAsNew).toBeGreaterThan(0);
    expect(workflowLines('backfill done')).toHaveLength(1);
    expect(workflowLines('sync started')).toHaveLength(1);
    expect(workflowLines('sync done')).toHaveLength(1);
    const all = lines.filter((l) => l.sdkComponent === 'workflow');
    for (const line of all) {
      expect(missing(line, ['workflowId', 'runId', 'workflowType', 'userId', 'provider']), line.msg).toEqual(
        [],
      );
    }
    const [planned] = workflowLines('windows planned');
    expect(planned?.windows).toBeGreaterThan(8);
    expect(planned?.byKind).toMatchObject({ cycle: expect.any(Number), sleep: expect.any(Number) });
  });
});

describe('secrets', () => {
  const leaks = (texts: string[]) =>
    texts.flatMap((text) => [
      ...secrets.filter((secret) => text.includes(secret)).map(() => 'a token or the client secret'),
      ...(/bearer\s/i.test(text) ? ['a Bearer credential'] : []),
      ...(/authorization/i.test(text) ? ['an authorization header'] : []),
    ]);

  it('the search knows every token the sandbox issued, before and after the refresh', () => {
    const stats = stack.sandbox.control.stats();
    expect(stats.refreshes).toBeGreaterThan(0);
    // Two per refresh (access + refresh), plus the initial pair and the client secret.
    expect(tap.issued).toHaveLength(2 * stats.refreshes);
    expect(secrets).toHaveLength(3 + 2 * stats.refreshes);
    for (const secret of secrets) expect(secret.length).toBeGreaterThan(15);
    // And it finds one where one is written (so an empty result below means something).
    expect(leaks([`{"msg":"x","token":"${secrets[2]}"}`, 'Authorization: Bearer abc'])).toHaveLength(3);
  });

  it('no line holds a token, the client secret, a Bearer credential or an authorization header', () => {
    expect(stack.temporal.logLines.length).toBeGreaterThan(100);
    expect(leaks(stack.temporal.logLines)).toEqual([]);
  });
});
