// OAuth token bookkeeping as WHOOP does it: opaque bearer tokens, an access-token TTL on the sandbox
// clock, and refresh tokens that rotate — each refresh spends the old one (single-use) while the old
// access token lives on until it expires.

import { createHash, randomBytes } from 'node:crypto';
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
  /** What spending it returned, and when: replayed within the reuse grace period. */
  rotatedTo?: IssuedTokens;
  spentAtMs?: number;
}

interface CodeEntry {
  userKey: string;
  redirectUri: string;
  scope: string;
  /** PKCE (RFC 7636): base64url(SHA-256(verifier)), as the authorize request sent it. */
  codeChallenge: string;
  expiresAtMs: number;
}

export interface IssuedTokens extends TokenPair {
  scope: string;
}

export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens; replayed?: boolean }
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
    /** Sandbox extension: a spent refresh token presented again this soon gets the same pair back. */
    private readonly reuseGraceSeconds = 0,
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
    if (entry.spent) {
      // Some providers (Okta, Auth0) let a client that lost the answer present the token again for a
      // short while and get the same pair: the recovery from a lost rotation. WHOOP documents none.
      const withinGrace = (entry.spentAtMs ?? 0) + this.reuseGraceSeconds * 1000 > this.nowMs();
      if (entry.rotatedTo && withinGrace) return { ok: true, tokens: entry.rotatedTo, replayed: true };
      return { ok: false, reason: 'spent' };
    }
    entry.spent = true;
    entry.spentAtMs = this.nowMs();
    entry.rotatedTo = this.issue(entry.userKey, scope?.trim() || entry.scope);
    return { ok: true, tokens: entry.rotatedTo };
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

  /**
   * Authorization-code flow: a one-time code valid for 10 minutes, bound to its redirect URI and its
   * PKCE challenge (S256).
   */
  issueCode(userKey: string, redirectUri: string, scope: string, codeChallenge: string): string {
    const code = opaque();
    this.codes.set(code, { userKey, redirectUri, scope, codeChallenge, expiresAtMs: this.nowMs() + 600_000 });
    return code;
  }

  /**
   * RFC 6749 §4.1.3 and RFC 7636 §4.6: the code is spent on the first attempt, and redeems only with
   * the same redirect_uri and the verifier whose S256 hash is the challenge. Returns why it did not.
   */
  redeemCode(
    code: string,
    redirectUri: string | null,
    codeVerifier: string | null,
  ): IssuedTokens | 'unknown code' | 'redirect_uri mismatch' | 'PKCE verification failed' {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAtMs <= this.nowMs()) return 'unknown code';
    if (redirectUri !== entry.redirectUri) return 'redirect_uri mismatch';
    if (!codeVerifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(codeVerifier)) return 'PKCE verification failed';
    const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
    if (challenge !== entry.codeChallenge) return 'PKCE verification failed';
    return this.issue(entry.userKey, entry.scope);
  }
}
