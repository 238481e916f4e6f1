// OAuth token bookkeeping as WHOOP does it: opaque bearer tokens, an access-token TTL on the sandbox
// clock, and refresh tokens that rotate — each refresh spends the old one (single-use) while the old
// access token lives on until it expires.

import { randomBytes } from 'node:crypto';
import type { TokenPair } from './types.ts';

export const DEFAULT_SCOPE =
  'offline read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement';

interface AccessEntry {
  userKey: string;
  expiresAtMs: number;
  revoked: boolean;
}

interface RefreshEntry {
  userKey: string;
  scope: string;
  spent: boolean;
  revoked: boolean;
}

interface CodeEntry {
  userKey: string;
  redirectUri: string;
  scope: string;
  expiresAtMs: number;
}

export interface IssuedTokens extends TokenPair {
  scope: string;
}

export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens }
  | { ok: false; reason: 'unknown' | 'spent' | 'revoked' };

function opaque(): string {
  return randomBytes(24).toString('base64url');
}

export class TokenStore {
  private readonly access = new Map<string, AccessEntry>();
  private readonly refreshTokens = new Map<string, RefreshEntry>();
  private readonly codes = new Map<string, CodeEntry>();

  constructor(
    private readonly nowMs: () => number,
    private readonly ttlSeconds: number,
  ) {}

  issue(userKey: string, scope = DEFAULT_SCOPE): IssuedTokens {
    const accessToken = opaque();
    const refreshToken = opaque();
    this.access.set(accessToken, {
      userKey,
      expiresAtMs: this.nowMs() + this.ttlSeconds * 1000,
      revoked: false,
    });
    this.refreshTokens.set(refreshToken, { userKey, scope, spent: false, revoked: false });
    return { accessToken, refreshToken, expiresIn: this.ttlSeconds, scope };
  }

  /** The user an access token belongs to, if it is known, unexpired and unrevoked. */
  authenticate(accessToken: string): string | undefined {
    const entry = this.access.get(accessToken);
    if (!entry || entry.revoked || entry.expiresAtMs <= this.nowMs()) return undefined;
    return entry.userKey;
  }

  refresh(refreshToken: string, scope?: string): RefreshOutcome {
    const entry = this.refreshTokens.get(refreshToken);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.revoked) return { ok: false, reason: 'revoked' };
    if (entry.spent) return { ok: false, reason: 'spent' };
    entry.spent = true;
    return { ok: true, tokens: this.issue(entry.userKey, scope?.trim() || entry.scope) };
  }

  expire(accessToken: string): void {
    const entry = this.access.get(accessToken);
    if (entry) entry.expiresAtMs = Math.min(entry.expiresAtMs, this.nowMs());
  }

  /** Revokes every token the user holds now; tokens issued later work again (a reconnect). */
  revokeUser(userKey: string): void {
    for (const entry of this.access.values()) if (entry.userKey === userKey) entry.revoked = true;
    for (const entry of this.refreshTokens.values()) if (entry.userKey === userKey) entry.revoked = true;
  }

  /** Authorization-code flow: a one-time code valid for 10 minutes, bound to its redirect URI. */
  issueCode(userKey: string, redirectUri: string, scope: string): string {
    const code = opaque();
    this.codes.set(code, { userKey, redirectUri, scope, expiresAtMs: this.nowMs() + 600_000 });
    return code;
  }

  redeemCode(code: string, redirectUri: string | null): IssuedTokens | undefined {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAtMs <= this.nowMs()) return undefined;
    if (redirectUri !== null && redirectUri !== entry.redirectUri) return undefined;
    return this.issue(entry.userKey, entry.scope);
  }
}
