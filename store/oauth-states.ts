// Hosted-connect logins in progress (sql/043_oauth_states.sql): the state is kept as its sha256,
// consumed at most once, before it expires; the PKCE verifier is encrypted at rest.
import { createHash, randomBytes } from 'node:crypto';
import type { TokenCipher } from './crypto.ts';
import type { Queryable } from './db.ts';

const hash = (state: string) => createHash('sha256').update(state).digest('hex');
const verifierContext = (stateHash: string) => `oauth-state:${stateHash}`;

export interface NewLogin {
  state: string;
  codeVerifier: string;
}

export async function createLogin(
  sql: Queryable,
  cipher: TokenCipher,
  login: { provider: string; userId: string; redirectUri: string; ttlSeconds: number },
): Promise<NewLogin> {
  const state = randomBytes(32).toString('base64url');
  const codeVerifier = randomBytes(48).toString('base64url');
  const stateHash = hash(state);
  await sql`
    insert into oauth_states (state_hash, provider, user_id, code_verifier_enc, redirect_uri, expires_at)
    values (${stateHash}, ${login.provider}, ${login.userId},
            ${cipher.encrypt(codeVerifier, verifierContext(stateHash))}, ${login.redirectUri},
            now() + make_interval(secs => ${login.ttlSeconds}))`;
  return { state, codeVerifier };
}

export interface ConsumedLogin {
  userId: string;
  codeVerifier: string;
  redirectUri: string;
}

/** Marks the state used and returns its login, or undefined for an unknown, used or expired one. */
export async function consumeLogin(
  sql: Queryable,
  cipher: TokenCipher,
  provider: string,
  state: string,
): Promise<ConsumedLogin | undefined> {
  const stateHash = hash(state);
  const [row] = await sql<{ user_id: string; code_verifier_enc: string; redirect_uri: string }[]>`
    update oauth_states set used_at = now()
    where state_hash = ${stateHash} and provider = ${provider} and used_at is null and expires_at > now()
    returning user_id, code_verifier_enc, redirect_uri`;
  if (!row) return undefined;
  return {
    userId: row.user_id,
    codeVerifier: cipher.decrypt(row.code_verifier_enc, verifierContext(stateHash)),
    redirectUri: row.redirect_uri,
  };
}

/** Drops logins that expired more than a day ago (kept a while for inspection). */
export async function pruneLogins(sql: Queryable): Promise<number> {
  const result = await sql`delete from oauth_states where expires_at < now() - interval '1 day'`;
  return result.count;
}
