// The webhook seam (the provider interface's `webhooks` hook): `serve` verifies a delivery with the
// provider's own rule, then acts on what the provider says the delivery means. No I/O here.

/** What a verified delivery asks for. */
export type WebhookEvent =
  | { type: 'upsert'; externalUserId: string; kind: string; documents: unknown[] }
  | { type: 'delete'; externalUserId: string; kind: string; sourceId: string }
  | { type: 'fetch'; externalUserId: string; kind: string; start: Date; end: Date };

export interface WebhookHooks {
  /** Throws WebhookRejected unless signature and timestamp verify; rawBody is the exact bytes. */
  verify(headers: Record<string, string | undefined>, rawBody: Buffer, now: Date): void;
  /** The events to act on; throws WebhookParseError on a body it cannot read. */
  parse(rawBody: Buffer, now: Date): WebhookEvent[];
  /** Providers that verify the endpoint with a GET challenge (Oura): the answer, or a rejection. */
  challenge?(query: Record<string, string | undefined>): { status: number; body: unknown };
}

export class WebhookRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WebhookRejected';
  }
}

export class WebhookParseError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WebhookParseError';
  }
}
