// OAuth token bookkeeping as the wearable APIs do it: opaque bearer tokens, an access-token TTL on the
// sandbox clock, refresh tokens that rotate (each refresh spends the old one: single-use) while the
// old access token lives on until it expires, and one-time authorization codes bound to their
// redirect URI and, when the client sent one, to a PKCE challenge (RFC 7636, S256 or plain).
import { createHash, randomBytes } from 'node:crypto';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface IssuedTokens extends TokenPair {
  scope: string;
}

export type RefreshOutcome =
  | { ok: true; tokens: IssuedTokens; replayed?: boolean }
  | { ok: false; reason: 'unknown' | 'spent' | 'revoked' };

export type RedeemOutcome = { ok: true; tokens: IssuedTokens } | { ok: false; reason: string };

export interface PkceChallenge {
  challenge: string;
  method: 'S256' | 'plain';
}

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
  expiresAtMs: number;
  pkce?: PkceChallenge;
}

function opaque(): string {
  return randomBytes(24).toString('base64url');
}

export function pkceS256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export class TokenStore {
  private readonly access = new Map<string, AccessEntry>();
  private readonly refreshTokens = new Map<string, RefreshEntry>();
  private readonly codes = new Map<string, CodeEntry>();

  constructor(
    private readonly nowMs: () => number,
    private readonly ttlSeconds: number,
    readonly defaultScope: string,
    /** Sandbox extension: a spent refresh token presented again this soon gets the same pair back. */
    private readonly reuseGraceSeconds = 0,
  ) {}

  issue(userKey: string, scope = this.defaultScope): IssuedTokens {
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

  /** Authorization-code flow: a one-time code valid for 10 minutes, bound to its redirect URI. */
  issueCode(userKey: string, redirectUri: string, scope: string, pkce?: PkceChallenge): string {
    const code = opaque();
    this.codes.set(code, { userKey, redirectUri, scope, expiresAtMs: this.nowMs() + 600_000, pkce });
    return code;
  }

  redeemCode(code: string, redirectUri: string | null, codeVerifier: string | null): RedeemOutcome {
    const entry = this.codes.get(code);
    this.codes.delete(code);
    if (!entry || entry.expiresAtMs <= this.nowMs())
      return { ok: false, reason: 'authorization code is not valid' };
    if (redirectUri !== entry.redirectUri) {
      return { ok: false, reason: 'redirect_uri does not match the authorization request' };
    }
    if (entry.pkce) {
      if (!codeVerifier) return { ok: false, reason: 'code_verifier is required (PKCE)' };
      const derived = entry.pkce.method === 'S256' ? pkceS256(codeVerifier) : codeVerifier;
      if (derived !== entry.pkce.challenge) return { ok: false, reason: 'code_verifier does not match' };
    }
    return { ok: true, tokens: this.issue(entry.userKey, entry.scope) };
  }
}
