// Webhook events as Junction sends them, signed the Svix way (svix-id, svix-timestamp,
// svix-signature over "id.timestamp.body" with the endpoint's whsec_ secret), and their delivery.
import { randomUUID } from 'node:crypto';
import { Webhook } from 'svix';
import type { JunctionSummaryKind } from '../descriptor.ts';
import type { Doc } from './documents.ts';
import { type SandboxUser, TEAM_ID } from './users.ts';

export interface SignedDelivery {
  headers: Record<string, string>;
  /** The exact bytes that were signed. */
  body: string;
}

/** ClientFacing<Kind>Changed: daily.data.<kind>.created|updated carrying the document. */
export function dailyEvent(
  user: SandboxUser,
  kind: JunctionSummaryKind,
  change: 'created' | 'updated',
  doc: Doc,
) {
  return {
    event_type: `daily.data.${kind}.${change}`,
    user_id: user.userId,
    client_user_id: user.name,
    team_id: TEAM_ID,
    data: doc,
  };
}

/** ClientFacing<Kind>HistoricalPullCompleted: the historical pull of [start, end] is done. */
export function historicalEvent(user: SandboxUser, kind: JunctionSummaryKind, start: Date, end: Date) {
  return {
    event_type: `historical.data.${kind}.created`,
    user_id: user.userId,
    client_user_id: user.name,
    team_id: TEAM_ID,
    data: {
      user_id: user.userId,
      start_date: start.toISOString(),
      end_date: end.toISOString(),
      is_final: true,
      provider: user.sources[kind][0] ?? 'unknown',
    },
  };
}

export function signEvent(secret: string, event: unknown, at = new Date()): SignedDelivery {
  const body = JSON.stringify(event);
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  return {
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': new Webhook(secret).sign(id, at, body),
    },
    body,
  };
}

/** POSTs a signed event; resolves to the receiver's status. */
export async function deliver(url: string, delivery: SignedDelivery): Promise<number> {
  const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  await response.arrayBuffer();
  return response.status;
}
