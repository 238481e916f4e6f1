// One provider HTTP request: budget first, then ky with no retries (retries belong to Temporal), the
// provider's rate-limit headers fed back to the budget, and every failure classified once into a
// ProviderError (docs/architecture.md decision 5). Messages and logs name the endpoint and status only: no URLs
// with queries, no headers, no bodies, so tokens and secrets can never leak through them.
import ky, { isTimeoutError } from 'ky';
import { ProviderError } from './errors.ts';
import type { RateBudget, RateLimitObservation } from './rate-budget.ts';
import type { ProviderLogger, RequestEvent, RequestStats } from './types.ts';

export type { ProviderLogger, RequestEvent };

/**
 * How a provider's X-RateLimit-Reset reads: seconds from now, or a Unix epoch (seconds); providers differ
 * (docs/adding-a-provider.md). Each client says which, rather than the value's size deciding.
 */
export type RateLimitReset = 'delta-seconds' | 'unix-epoch';

export interface HttpContext {
  /** Provider name for messages (its descriptor's displayName). */
  provider: string;
  rateLimitReset: RateLimitReset;
  budget: RateBudget;
  timeoutMs: number;
  logger?: ProviderLogger;
  onRequest?: (event: RequestEvent) => void;
}

/** A non-2xx response, as a classifier sees it. */
export interface FailedResponse {
  status: number;
  headers: Headers;
  /** The body parsed as JSON, when it was JSON. */
  json: unknown;
  /** "<Provider> GET /v2/<collection>", for messages. */
  label: string;
  /** The rate-limit headers, read the provider's way. */
  rateLimit: RateLimitObservation;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  /** Stable label for metrics and messages: a path template, never a URL with its query. */
  endpoint: string;
  headers?: Record<string, string>;
  /** A form, or a JSON text (set content-type in `headers`). */
  body?: URLSearchParams | string;
  /** Endpoint-specific classification; returning undefined falls back to classifyStatus. */
  classify?: (response: FailedResponse) => ProviderError | undefined;
}

export const DEFAULT_RETRY_AFTER_MS = 60_000;

export async function requestJson(
  ctx: HttpContext,
  request: HttpRequest,
  stats: RequestStats,
): Promise<unknown> {
  // Awaited before the +=, which would otherwise read the counter first and lose concurrent updates.
  const waitedMs = await ctx.budget.acquire();
  stats.throttleWaitMs += Math.round(waitedMs);
  stats.apiCalls += 1;
  const label = `${ctx.provider} ${request.method} ${request.endpoint}`;
  const started = performance.now();
  const finish = (status: number) => {
    const latencyMs = Math.round(performance.now() - started);
    ctx.onRequest?.({ endpoint: request.endpoint, status, latencyMs });
    ctx.logger?.debug({ endpoint: request.endpoint, status, latencyMs }, 'provider request');
  };

  let response: Response;
  let text: string;
  try {
    response = await ky(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      retry: 0,
      timeout: ctx.timeoutMs,
      // ky's timeout stops at the response headers; this one also bounds a stalled body.
      signal: AbortSignal.timeout(ctx.timeoutMs),
      throwHttpErrors: false,
    });
  } catch (error) {
    finish(0);
    throw transportError(label, error, ctx.timeoutMs);
  }
  const observation = readRateLimitHeaders(response.headers, ctx.rateLimitReset);
  if (observation.remaining !== undefined || observation.resetSeconds !== undefined) {
    ctx.budget.observe(observation);
  }
  try {
    text = await response.text();
  } catch (error) {
    // A lost error body must not hide the status (a 429 stays a 429); a lost 200 body is transient.
    if (response.ok) {
      finish(response.status);
      throw transportError(`${label} (reading the body)`, error, ctx.timeoutMs);
    }
    text = '';
  }
  finish(response.status);

  if (!response.ok) {
    const failed: FailedResponse = {
      status: response.status,
      headers: response.headers,
      json: tryParse(text),
      label,
      rateLimit: observation,
    };
    const error = request.classify?.(failed) ?? classifyStatus(failed);
    if (error.errorClass === 'rate_limited') {
      stats.rateLimited += 1;
      ctx.budget.penalize(error.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS);
      ctx.logger?.warn(
        { endpoint: request.endpoint, retryAfterMs: error.retryAfterMs },
        'provider rate limit hit',
      );
    }
    throw error;
  }
  const body = tryParse(text);
  if (body === undefined) {
    throw new ProviderError(
      `${label}: HTTP ${response.status} with a truncated or non-JSON body`,
      'transient',
      response.status,
    );
  }
  return body;
}

/** The classification every data endpoint shares. */
export function classifyStatus({ status, headers, label, rateLimit }: FailedResponse): ProviderError {
  if (status === 429) {
    return new ProviderError(
      `${label}: HTTP 429 rate limited`,
      'rate_limited',
      status,
      retryAfterMs(headers, rateLimit) ?? DEFAULT_RETRY_AFTER_MS,
    );
  }
  if (status >= 500 || status === 408) {
    return new ProviderError(
      `${label}: HTTP ${status}`,
      'transient',
      status,
      retryAfterMs(headers, rateLimit),
    );
  }
  if (status === 401) {
    return new ProviderError(`${label}: HTTP 401, access token rejected`, 'unauthorized', status);
  }
  return new ProviderError(`${label}: HTTP ${status}`, 'client_error', status);
}

/**
 * How long the provider asked us to wait: Retry-After (seconds or HTTP date), else the window reset
 * (from the rate-limit headers as the provider's reader read them).
 */
export function retryAfterMs(
  headers: Headers,
  rateLimit: RateLimitObservation,
  now = Date.now(),
): number | undefined {
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = rateLimit.resetSeconds;
  return reset === undefined ? undefined : Math.round(reset * 1000);
}

/**
 * X-RateLimit-Remaining / X-RateLimit-Reset (or the IETF draft's unprefixed names). Lists such as
 * "98, 9876" keep the first value, which is the current window's. The reset is read as the provider
 * documents it: seconds from now ('delta-seconds') or the Unix epoch second the window resets at
 * ('unix-epoch'), turned into seconds from now.
 */
export function readRateLimitHeaders(
  headers: Headers,
  reset: RateLimitReset,
  now = Date.now(),
): RateLimitObservation {
  const remaining = firstNumber(headers.get('x-ratelimit-remaining') ?? headers.get('ratelimit-remaining'));
  let resetSeconds = firstNumber(headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset'));
  if (resetSeconds !== undefined && reset === 'unix-epoch') {
    resetSeconds = Math.max(0, resetSeconds - now / 1000);
  }
  return { remaining, resetSeconds };
}

function firstNumber(value: string | null): number | undefined {
  const match = value?.match(/^\s*(\d+(?:\.\d+)?)/);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function tryParse(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Timeouts, refused or reset connections and bodies cut short: all worth retrying. */
function transportError(label: string, error: unknown, timeoutMs: number): ProviderError {
  if (isTimeoutError(error) || (error instanceof DOMException && error.name === 'TimeoutError')) {
    return new ProviderError(`${label}: timed out after ${timeoutMs} ms`, 'transient');
  }
  if (error instanceof DOMException && error.name === 'AbortError') {
    return new ProviderError(`${label}: aborted`, 'transient');
  }
  if (error instanceof TypeError || hasCode(error)) {
    return new ProviderError(`${label}: network error (${networkCause(error)})`, 'transient');
  }
  // Anything else is a bug on our side, not a provider failure: let it surface unclassified.
  throw error;
}

function hasCode(error: unknown): error is { code: string } {
  return typeof (error as { code?: unknown } | null)?.code === 'string';
}

function networkCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (hasCode(cause)) return cause.code;
  if (hasCode(error)) return error.code;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
