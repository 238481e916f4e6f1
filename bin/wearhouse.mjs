#!/usr/bin/env node
// The `wearhouse` command: TypeScript sources run through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
await main(process.argv.slice(2));
// Exit explicitly with our code: lingering handles (pools, timers) must not keep the process alive,
// and no dependency exit hook may replace the code.
process.exit(process.exitCode ?? 0);
