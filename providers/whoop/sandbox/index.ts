// The WHOOP v2 sandbox (docs/architecture.md decision 9): an HTTP server speaking the WHOOP API as the spec
// documents it — paging, limits, rotating refresh tokens, rate-limit headers, rescoring, deletions,
// injectable faults — over deterministic, physiologically plausible data.
//
//   const sandbox = await startWhoopSandbox({ now: () => clock });
//   const { accessToken } = sandbox.control.issueTokens('alice');
//   await fetch(`${sandbox.url}/v2/cycle?limit=25`, { headers: { Authorization: `Bearer ${accessToken}` } });

export { startWhoopSandbox } from './server.ts';
export type {
  SandboxControl,
  SandboxFaults,
  SandboxStats,
  ServedRecord,
  TokenPair,
  WhoopKind,
  WhoopSandbox,
  WhoopSandboxOptions,
} from './types.ts';
export { WHOOP_KINDS } from './types.ts';
