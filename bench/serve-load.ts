// `npm run bench:serve [-- --batches 2000 --clients 50 --users 20 --points 5]`: push ingest under
// load. Real processes: `wearhouse serve` and `wearhouse worker` on their own Postgres and Temporal.
// Many concurrent clients post distinct Health Auto Export batches (a client retries until it gets
// a 2xx, as the app does); midway serve is SIGKILLed and restarted on the same port. Then every
// acknowledged batch must be stored once and every point of it be in `records` exactly once.
// Writes bench/SERVE-LOAD.md and .json (figures are this machine's; they are not asserted anywhere).
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mapHealthAutoExport } from '../providers/health-auto-export/mapping.ts';
import { haePayloadSchema } from '../providers/health-auto-export/schema.ts';
import { createIngestToken } from '../store/ingest-tokens.ts';
import { haeBatch } from '../test/fixtures/health-auto-export.ts';
import { type ServeProcess, spawnServeProcess } from '../test/support/serve-process.ts';
import { freePort } from '../worker/stack/processes.ts';
import { newTaskQueue, startServices } from './harness.ts';
import { percentile, round } from './stats.ts';
import { spawnWorker } from './worker-process.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const log = (line: string) =>
  process.stderr.write(`[serve-load ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  latencyMs: number;
  attempts: number;
  status: number;
}

async function main() {
  const { values } = parseArgs({
    options: {
      batches: { type: 'string', default: '2000' },
      clients: { type: 'string', default: '50' },
      users: { type: 'string', default: '20' },
      points: { type: 'string', default: '5' },
    },
  });
  const total = Number(values.batches);
  const clients = Number(values.clients);
  const userCount = Number(values.users);
  const points = Number(values.points);

  const services = await startServices(log);
  const db = await services.createDatabase('serve');
  const taskQueue = newTaskQueue('serve');
  const env = {
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    TOKEN_ENCRYPTION_KEY: services.tokenKey,
    LOG_LEVEL: 'warn',
  };
  const worker = spawnWorker({
    databaseUrl: db.url,
    temporalAddress: services.temporalAddress,
    taskQueue,
    tokenKey: services.tokenKey,
    apiUrl: 'http://127.0.0.1:9/',
    tokenUrl: 'http://127.0.0.1:9/token',
    requestsPerMinute: 100,
  });
  await worker.ready;
  const port = await freePort();
  let serve: ServeProcess = await spawnServeProcess(port, env);
  const users = Array.from({ length: userCount }, (_, i) => `load${i}`);
  const tokens = new Map<string, string>();
  for (const user of users) tokens.set(user, (await createIngestToken(db.sql, user)).token);

  // Batch i belongs to user i % users and holds hour i / users: every batch distinct, and the
  // points of one user never collide across batches (so the expected count is exact).
  const batchOf = (i: number) => ({
    user: users[i % userCount] as string,
    body: JSON.stringify(haeBatch({ hour: Math.floor(i / userCount) * 2, points })),
  });
  const outcomes: (Outcome | undefined)[] = new Array(total);
  let next = 0;
  let acked = 0;
  let networkErrors = 0;
  let killedAt = 0;
  let restartedAt = 0;
  const started = performance.now();

  async function post(i: number): Promise<void> {
    const { user, body } = batchOf(i);
    const first = performance.now();
    for (let attempt = 1; ; attempt++) {
      const sent = performance.now();
      try {
        const response = await fetch(`${serve.url}/v1/ingest/apple-health`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(user)}` },
          body,
        });
        await response.arrayBuffer();
        if (response.ok) {
          outcomes[i] = { latencyMs: performance.now() - sent, attempts: attempt, status: response.status };
          acked++;
          return;
        }
        if (response.status < 500) throw new Error(`batch ${i}: HTTP ${response.status}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith(`batch ${i}:`)) throw error;
        networkErrors++;
      }
      if (performance.now() - first > 120_000) throw new Error(`batch ${i} never acknowledged`);
      await sleep(100 * Math.min(attempt, 10));
    }
  }

  async function client() {
    while (next < total) await post(next++);
  }

  const killer = (async () => {
    while (acked < total * 0.4) await sleep(20);
    killedAt = performance.now() - started;
    log(`SIGKILL serve at ${acked} acknowledged`);
    await serve.kill('SIGKILL');
    serve = await spawnServeProcess(port, env);
    restartedAt = performance.now() - started;
    log(`serve restarted after ${round((restartedAt - killedAt) / 1000)} s`);
  })();
  await Promise.all([...Array.from({ length: clients }, client), killer]);
  const ackSeconds = (performance.now() - started) / 1000;
  log(`${acked} batches acknowledged in ${round(ackSeconds)} s; waiting for normalization`);

  // A batch committed just before the kill may have lost its workflow start: the restarted serve's
  // sweeper starts it (after its grace period), so this wait includes that.
  const normalizeStarted = performance.now();
  for (;;) {
    const [row] = await db.sql<{ pending: number }[]>`
      select count(*)::int as pending from ingest_batches where normalized_at is null`;
    if (row?.pending === 0) break;
    if (performance.now() - normalizeStarted > 15 * 60_000)
      throw new Error(`${row?.pending} batches never normalized`);
    await sleep(500);
  }
  const normalizeSeconds = (performance.now() - normalizeStarted) / 1000;

  // Exactly once: one batch row per distinct acknowledged batch, and per user exactly the points
  // its acknowledged batches map to (compared by key, both ways).
  const [batches] = await db.sql<{ n: number; distinct: number }[]>`
    select count(*)::int as n, count(distinct (user_id, payload_hash))::int as distinct from ingest_batches`;
  const expected = new Map<string, Set<string>>();
  for (let i = 0; i < total; i++) {
    if (!outcomes[i]) continue;
    const { user, body } = batchOf(i);
    const keys = expected.get(user) ?? new Set<string>();
    for (const r of mapHealthAutoExport(haePayloadSchema.parse(JSON.parse(body))))
      keys.add(`${r.kind}:${r.sourceId}`);
    expected.set(user, keys);
  }
  let missing = 0;
  let extra = 0;
  let storedPoints = 0;
  for (const user of users) {
    const rows = await db.sql<{ key: string }[]>`
      select kind || ':' || source_id as key from records where provider = 'apple_health' and user_id = ${user}`;
    const stored = new Set(rows.map((r) => r.key));
    storedPoints += rows.length;
    const want = expected.get(user) ?? new Set<string>();
    for (const key of want) if (!stored.has(key)) missing++;
    for (const key of stored) if (!want.has(key)) extra++;
  }
  const expectedPoints = [...expected.values()].reduce((sum, s) => sum + s.size, 0);
  const latencies = outcomes.filter((o): o is Outcome => Boolean(o)).map((o) => o.latencyMs);
  const retried = outcomes.filter((o) => (o?.attempts ?? 1) > 1).length;
  const result = {
    machine: { cpus: os.cpus().length, load: os.loadavg().map((l) => round(l)), node: process.version },
    parameters: {
      batches: total,
      clients,
      users: userCount,
      pointsPerMetric: points,
      bytesPerBatch: batchOf(0).body.length,
    },
    acknowledged: acked,
    throughputBatchesPerSecond: round(acked / ackSeconds),
    throughputPointsPerSecond: round(expectedPoints / ackSeconds),
    latencyMs: {
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      max: round(Math.max(...latencies)),
    },
    kill: {
      atSeconds: round(killedAt / 1000),
      outageSeconds: round((restartedAt - killedAt) / 1000),
      networkErrors,
      batchesRetried: retried,
    },
    normalizeAfterLastAckSeconds: round(normalizeSeconds),
    storedBatches: batches?.n,
    distinctBatches: batches?.distinct,
    expectedPoints,
    storedPoints,
    missingPoints: missing,
    extraPoints: extra,
    exactlyOnce:
      batches?.n === acked &&
      batches?.distinct === acked &&
      missing === 0 &&
      extra === 0 &&
      storedPoints === expectedPoints,
  };
  log(JSON.stringify(result));
  await writeFile(`${benchDir}SERVE-LOAD.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(
    `${benchDir}SERVE-LOAD.md`,
    `# Push ingest under load (\`npm run bench:serve\`)

${total} distinct Health Auto Export batches (${result.parameters.bytesPerBatch} bytes, ${expectedPoints / acked} points each)
from ${clients} concurrent clients for ${userCount} users, against \`wearhouse serve\` and one \`wearhouse worker\` as processes
on embedded Postgres and the Temporal dev server (${result.machine.cpus} cores shared, load ${result.machine.load.join(' ')}).
Clients retry until they get a 2xx. After ${result.kill.atSeconds} s serve was SIGKILLed and restarted on the same port.

| figure | value |
| --- | --- |
| acknowledged | ${acked} of ${total} batches |
| throughput | ${result.throughputBatchesPerSecond} batches/s, ${result.throughputPointsPerSecond} points/s (the outage included) |
| latency of acknowledged posts | p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms |
| SIGKILL | ${result.kill.outageSeconds} s until the restarted serve answered; ${networkErrors} refused or cut requests, ${retried} batches needed a retry |
| normalized | all, ${result.normalizeAfterLastAckSeconds} s after the last acknowledgement (includes the sweeper's grace period for starts lost in the kill) |
| stored batches | ${result.storedBatches} rows, ${result.distinctBatches} distinct (user, payload) |
| points | expected ${expectedPoints}, stored ${storedPoints}, missing ${missing}, extra ${extra} |
| **every acknowledged point stored exactly once** | **${result.exactlyOnce ? 'yes' : 'NO'}** |
`,
  );
  await serve.kill('SIGTERM');
  await worker.stop();
  await db.close();
  await services.stop();
  if (!result.exactlyOnce) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
