// The Oura v2 sandbox (docs/oura.md): the spec's routes over real HTTP with deterministic data
// (scores with contributors, sleep periods with stages and hypnograms, naps, days the ring was not
// worn, workouts, sessions, heart rate), OAuth with PKCE and single-use refresh tokens, both
// rate-limit layers with Oura's headers, faults and control routes.
//
//   const sandbox = await startOuraSandbox();
//   const { accessToken } = sandbox.control.issueTokens('alice');
//   await fetch(`${sandbox.url}/v2/usercollection/sleep?start_date=2024-03-01&end_date=2024-03-08`,
//     { headers: { Authorization: `Bearer ${accessToken}` } });
export { startOuraSandbox } from './server.ts';
export type {
  DailyDocumentKind,
  OuraSandbox,
  OuraSandboxControl,
  OuraSandboxKind,
  OuraSandboxOptions,
  OuraSandboxStats,
  RateLayer,
  SandboxFaults,
  TokenPair,
} from './types.ts';
export { OURA_SANDBOX_KINDS } from './types.ts';
