// A local Junction: the API-key check, summaries with inclusive date ranges, the paged heart-rate
// series, users whose data comes from several sources (Oura, Garmin, Apple…), documents that get
// revised (new updated_at), scripted 429/503 faults, and Svix-signed webhooks it can send. Regions
// and environments do not exist locally: one base URL serves all.
import { createHash } from 'node:crypto';
import { startJsonServer } from '../../sandbox-kit/json-server.ts';
import { ScriptedFaults } from '../../sandbox-kit/scripted-faults.ts';
import type { JunctionSummaryKind } from '../descriptor.ts';
import { type ApiState, handleApi, summaryDocuments } from './api.ts';
import { type Doc, documentsFor, type Revision } from './documents.ts';
import { type SandboxUser, sandboxUsers } from './users.ts';
import { dailyEvent, deliver, historicalEvent, type SignedDelivery, signEvent } from './webhook-events.ts';

export { HEART_RATE_PAGE_SIZE } from './api.ts';
export type { Doc } from './documents.ts';
export type { SandboxUser } from './users.ts';
export type { SignedDelivery } from './webhook-events.ts';

export interface JunctionSandboxOptions {
  port?: number;
  host?: string;
  seed?: string;
  apiKey?: string;
  /** whsec_… ; derived from the seed when not given. */
  webhookSecret?: string;
  /** Days of data before now. Default 400. */
  historyDays?: number;
  /** The sandbox's clock (tests move it forward to make new days appear). */
  now?: Date;
  /** Answer 429 (with Retry-After) past this many requests a minute. */
  requestsPerMinute?: number;
}

export interface JunctionSandbox {
  /** The base URL: JUNCTION_API_URL. */
  url: string;
  apiKey: string;
  webhookSecret: string;
  users: readonly SandboxUser[];
  /** The Junction user id of a sandbox user by name ('alice'). */
  userId(name: string): string;
  faults: ScriptedFaults;
  /** Requests answered so far, all endpoints. */
  requestCount(): number;
  hits: ReadonlyMap<string, number>;
  setNow(now: Date): void;
  /** The documents the API serves for one user, kind and calendar day. */
  documents(name: string, kind: JunctionSummaryKind, day: string): Doc[];
  /** What the API serves for summaries of calendar days whose midnight UTC lies in [start, end). */
  served(name: string, kind: JunctionSummaryKind, start: Date, end: Date): Doc[];
  /** Re-syncs a document (its first source's, that day): values change, updated_at moves to now. */
  revise(name: string, kind: JunctionSummaryKind, day: string): Doc;
  dailyEvent(name: string, kind: JunctionSummaryKind, change: 'created' | 'updated', doc: Doc): object;
  historicalEvent(name: string, kind: JunctionSummaryKind, start: Date, end: Date): object;
  /** Signed with this sandbox's secret unless another is given (a forged delivery). */
  sign(event: unknown, options?: { secret?: string; at?: Date }): SignedDelivery;
  deliver(url: string, delivery: SignedDelivery): Promise<number>;
  close(): Promise<void>;
}

export async function startJunctionSandbox(options: JunctionSandboxOptions = {}): Promise<JunctionSandbox> {
  const seed = options.seed ?? 'wearhouse';
  const users = sandboxUsers(seed);
  const revisions = new Map<string, Revision>();
  let now = options.now;
  const webhookSecret =
    options.webhookSecret ?? `whsec_${createHash('sha256').update(`${seed}|webhook`).digest('base64')}`;
  const state: ApiState = {
    seed,
    apiKey: options.apiKey ?? 'sandbox-junction-key',
    users,
    historyDays: options.historyDays ?? 400,
    now: () => now ?? new Date(),
    revisionOf: (id) => revisions.get(id),
    faults: new ScriptedFaults(options.requestsPerMinute),
    hits: new Map(),
  };
  const server = await startJsonServer((request) => handleApi(state, request), options);
  const userNamed = (name: string) => {
    const user = users.find((u) => u.name === name);
    if (!user) throw new Error(`no sandbox user '${name}' (users: ${users.map((u) => u.name).join(', ')})`);
    return user;
  };
  const documents = (name: string, kind: JunctionSummaryKind, day: string) =>
    documentsFor(seed, userNamed(name), kind, day, state.revisionOf);

  return {
    url: server.origin,
    apiKey: state.apiKey,
    webhookSecret,
    users,
    userId: (name) => userNamed(name).userId,
    faults: state.faults,
    requestCount: () => [...state.hits.values()].reduce((sum, n) => sum + n, 0),
    hits: state.hits,
    setNow(at) {
      now = at;
    },
    documents,
    served: (name, kind, start, end) =>
      summaryDocuments(state, userNamed(name), kind, { fromMs: start.getTime(), toMs: end.getTime() - 1 }),
    revise(name, kind, day) {
      const [first] = documents(name, kind, day);
      if (!first) throw new Error(`${name} has no ${kind} document on ${day}`);
      const previous = revisions.get(first.id);
      revisions.set(first.id, { count: (previous?.count ?? 0) + 1, at: state.now() });
      const revised = documents(name, kind, day).find((doc) => doc.id === first.id);
      if (!revised) throw new Error('revised document vanished');
      return revised;
    },
    dailyEvent: (name, kind, change, doc) => dailyEvent(userNamed(name), kind, change, doc),
    historicalEvent: (name, kind, start, end) => historicalEvent(userNamed(name), kind, start, end),
    sign: (event, signOptions) => signEvent(signOptions?.secret ?? webhookSecret, event, signOptions?.at),
    deliver,
    close: () => server.close(),
  };
}
