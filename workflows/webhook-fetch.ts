// `webhookFetch`: what a verified provider webhook asked for — one kind of one user over a narrow
// span — fetched and stored like an incremental window (records the provider no longer returns in
// the span are soft-deleted). Started by `serve` with a workflow id derived from the stored event,
// so a re-delivered event never fetches twice.

import type { WindowResult } from '../activities/types.ts';
import { parseSyncInput } from './inputs.ts';
import { checkConnection, parseOrFail, syncWindow, tagWorkflow, workflowLog } from './shared.ts';

export interface WebhookFetchInput {
  userId: string;
  provider: string;
  kind: string;
  /** ISO instants: [start, end). */
  start: string;
  end: string;
}

export async function webhookFetch(input: WebhookFetchInput): Promise<WindowResult> {
  const { userId, provider } = parseOrFail(() => parseSyncInput(input));
  tagWorkflow(userId, provider);
  await checkConnection({ userId, provider });
  const result = await syncWindow.executeWithOptions({ summary: `webhook ${input.kind}` }, [
    {
      userId,
      provider,
      window: { kind: input.kind, start: input.start, end: input.end, final: false },
      purpose: 'incremental',
    },
  ]);
  workflowLog(userId, provider).info('webhook fetch done', { ...result });
  return result;
}
