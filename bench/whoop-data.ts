// Realistic WHOOP records without going through HTTP: the sandbox's deterministic generator (the
// bodies its API serves) mapped by the project's own mapping, as the client would map a page.
import type { MappedRecord } from '../providers/types.ts';
import { mapWhoopRecord, WHOOP_COLLECTION_KINDS } from '../providers/whoop/index.ts';
import { startWhoopSandbox } from '../providers/whoop/sandbox/index.ts';
import type { WhoopSandbox } from '../providers/whoop/sandbox/types.ts';

export interface UserRecords {
  userId: string;
  /** Cycles first (recoveries take their times from them), newest first within a kind, as served. */
  records: MappedRecord[];
  /** Bytes of the payloads as JSON. */
  payloadBytes: number;
}

/** One user's full sandbox history (5 years + 30 days by default), mapped. */
export function userRecords(sandbox: WhoopSandbox, userId: string): UserRecords {
  const records: MappedRecord[] = [];
  let payloadBytes = 0;
  for (const kind of WHOOP_COLLECTION_KINDS) {
    for (const body of sandbox.control.records(userId, kind, new Date(0))) {
      const mapped = mapWhoopRecord(kind, body);
      if (!mapped.ok)
        throw new Error(`sandbox ${kind} record failed validation: ${mapped.quarantined.reason}`);
      records.push(mapped.record);
      payloadBytes += JSON.stringify(body).length;
    }
  }
  return { userId, records, payloadBytes };
}

/**
 * Users in batches, each batch from a fresh sandbox that is closed afterwards, so that a hundred users'
 * generated histories never sit in memory at once. Yields one user at a time.
 */
export async function* generateUsers(userIds: string[], batchSize = 10): AsyncGenerator<UserRecords> {
  for (let i = 0; i < userIds.length; i += batchSize) {
    const sandbox = await startWhoopSandbox({});
    try {
      for (const userId of userIds.slice(i, i + batchSize)) yield userRecords(sandbox, userId);
    } finally {
      await sandbox.close();
    }
  }
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
