// `wearhouse api-token create --user U | --all-users`, `revoke --id N | --user U`, `list`: read
// tokens for the read API (docs/read-api.md). A token is printed once; only its hash is stored.
import { connect } from '../store/db.ts';
import { createReadToken, listReadTokens, revokeReadTokens } from '../store/read-tokens.ts';
import type { Config } from '../worker/config.ts';
import { InvalidInputError } from '../workflows/inputs.ts';
import { resolveEndpoints } from './context.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);
const USAGE = 'usage: wearhouse api-token create --user U | --all-users · revoke --id N | --user U · list';

interface CommandInput {
  config: Config;
  values: Record<string, string | boolean | undefined>;
  args: string[];
}

export const apiToken = async ({ config, values, args }: CommandInput) => {
  const action = args[0];
  const user = typeof values.user === 'string' ? values.user.trim() : '';
  const endpoints = await resolveEndpoints(config);
  const sql = connect(endpoints.databaseUrl, { max: 1 });
  try {
    if (action === 'create') {
      if (Boolean(user) === Boolean(values['all-users'])) {
        throw new InvalidInputError('api-token create needs exactly one of --user U or --all-users');
      }
      const { id, token } = await createReadToken(
        sql,
        user ? { allUsers: false, userId: user } : { allUsers: true },
      );
      say(`read token ${id} for ${user || 'all users'} (shown once; only its hash is stored):\n${token}`);
    } else if (action === 'revoke') {
      const target =
        typeof values.id === 'string' && /^\d+$/.test(values.id)
          ? { id: Number(values.id) }
          : user
            ? { userId: user }
            : undefined;
      if (!target) throw new InvalidInputError('api-token revoke needs --id N or --user U');
      say(`revoked ${await revokeReadTokens(sql, target)} read token(s)`);
    } else if (action === 'list') {
      for (const t of await listReadTokens(sql)) {
        const state = t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'live';
        const used = t.lastUsedAt ? `last used ${t.lastUsedAt.toISOString()}` : 'never used';
        say(`${t.id}\t${t.allUsers ? '--all-users' : `--user ${t.userId}`}\t${state}\t${used}`);
      }
    } else {
      throw new InvalidInputError(USAGE);
    }
  } finally {
    await sql.end();
  }
};
