// The request measurements (budget utilization, then request efficiency on the same data) for one
// provider, as steps of a run, and the side-by-side table of every provider measured in that run
// (`npm run bench:providers`, bench/OURA.md). Each provider's ratios are against its own baseline,
// measured in the same process, so the columns compare even though the providers' pages differ.
import { type BudgetOptions, type BudgetOutcome, measureBudget, sectionId } from './budget.ts';
import { measureEfficiency } from './efficiency.ts';
import type { BenchServices } from './harness.ts';
import type { BenchProvider } from './providers.ts';
import type { Section } from './report.ts';
import { round } from './stats.ts';

/**
 * A full providers run: the main report's budget B and range, with twice its users, so that the
 * provider with the fewest requests (Oura: ~235 per user for the range) still fills three complete
 * minutes at B, which the per-minute rate needs (bench/README.md, "Reading the numbers").
 */
export const PROVIDERS_FULL_BUDGET: BudgetOptions = {
  requestsPerMinute: 600,
  users: 8,
  fromDay: -(4 * 365 + 31),
  toDay: -31,
};

export interface Step {
  id: string;
  title: string;
  run(services: BenchServices, budget: BudgetOptions): Promise<Section>;
  /** Releases what the step kept open for a later one, if that one never ran. */
  cleanup?(): Promise<void>;
}

/** Budget then efficiency: the second reuses the first's database, sandbox and worker, and closes them. */
export function requestSteps(provider: BenchProvider, log: (line: string) => void): Step[] {
  let outcome: BudgetOutcome | undefined;
  const name = provider.displayName;
  const cleanup = async () => {
    await outcome?.fixture.close();
    outcome = undefined;
  };
  const steps: Step[] = [
    {
      id: sectionId('budget', provider),
      title: `Budget utilization (${name})`,
      async run(services, budget) {
        outcome = await measureBudget(services, budget, log, provider);
        return outcome.section;
      },
    },
    {
      id: sectionId('efficiency', provider),
      title: `Request efficiency (${name})`,
      async run(services) {
        if (!outcome) throw new Error(`needs the ${name} budget measurement (run with it)`);
        try {
          return await measureEfficiency(services, outcome, log);
        } finally {
          await outcome.fixture.close();
          outcome = undefined;
        }
      },
    },
  ];
  return steps.map((step) => ({ ...step, cleanup }));
}

interface BudgetDetails {
  requestsPerMinute: number;
  users: string[];
  range: { from: string; to: string };
  wearhouse: { requests: number; records: number; budget429: number; rate: { per10s: number[] } };
  baseline: { requests: number; budget429: number };
}

interface EfficiencyDetails {
  pageLimit: number;
  perRecord: number;
  rerun: number;
  nothingNew: number;
  rerunToToday: number;
}

function figure(section: Section | undefined, label: string): number | string | null {
  return section?.figures.find((f) => f.label === label)?.value ?? null;
}

/**
 * The rate in the first minute (workers warming up, every window's first page at once) and after it,
 * from the 10 s buckets anchored at the first request; the last, partial bucket is left out.
 */
function firstMinute(b: BudgetDetails): number {
  const buckets = b.wearhouse.rate.per10s.slice(0, 6);
  return buckets.reduce((n, x) => n + x, 0) / b.requestsPerMinute;
}

function afterFirstMinute(b: BudgetDetails): number {
  const buckets = b.wearhouse.rate.per10s.slice(6, -1);
  if (buckets.length === 0) return Number.NaN;
  return ((buckets.reduce((n, x) => n + x, 0) / buckets.length) * 6) / b.requestsPerMinute;
}

/** One column per provider measured, one row per figure: the comparison the issue asked for. */
export function sideBySide(providers: readonly BenchProvider[], sections: readonly Section[]): Section {
  const byId = new Map(sections.filter((s) => !s.error).map((s) => [s.id, s]));
  const columns = providers.map((provider) => {
    const budget = byId.get(sectionId('budget', provider));
    const efficiency = byId.get(sectionId('efficiency', provider));
    return {
      provider,
      budget,
      efficiency,
      b: budget?.details as BudgetDetails | undefined,
      e: efficiency?.details as EfficiencyDetails | undefined,
    };
  });
  const row = (label: string, cell: (c: (typeof columns)[number]) => string | number | null | undefined) => [
    label,
    ...columns.map((c) => cell(c) ?? 'not measured'),
  ];
  const kinds = (c: (typeof columns)[number]) => c.provider.module.descriptor.kinds.length;
  return {
    id: 'side-by-side',
    title: 'Providers side by side',
    method:
      'The figures of the sections below, one column per provider. Each provider ran the same measurement ' +
      'in this process: the same users, range and app budget B, through Temporal and `wearhouse worker`, and ' +
      'its baseline (one sequential loop under a 90 % sliding-window limiter) against a fresh sandbox of its ' +
      'own. Ratios are against that same-run baseline or against the limit, never across providers.',
    figures: [],
    tables: [
      {
        title: 'Backfill budget utilization and requests per record',
        headers: ['figure', ...columns.map((c) => c.provider.displayName)],
        rows: [
          row('app budget B (requests/min)', (c) => c.b?.requestsPerMinute),
          row('users × range', (c) => c.b && `${c.b.users.length} × ${c.b.range.from}..${c.b.range.to}`),
          row('window length (days), default kinds', (c) => {
            const d = c.provider.module.descriptor;
            return `${d.windowDays}, ${d.kinds.length}`;
          }),
          row('requests (wearhouse)', (c) => c.b?.wearhouse.requests),
          row('records stored', (c) => c.b?.wearhouse.records),
          row('achieved ÷ B (wearhouse)', (c) => figure(c.budget, 'achieved ÷ B (wearhouse)')),
          row('achieved ÷ B (wearhouse), first minute', (c) => c.b && round(firstMinute(c.b), 3)),
          row(
            'achieved ÷ B (wearhouse), after the first minute',
            (c) => c.b && round(afterFirstMinute(c.b), 3),
          ),
          row('achieved ÷ B (baseline)', (c) => figure(c.budget, 'achieved ÷ B (baseline)')),
          row('wearhouse ÷ baseline throughput', (c) => figure(c.budget, 'wearhouse ÷ baseline throughput')),
          row(
            'budget 429s (wearhouse / baseline)',
            (c) => c.b && `${c.b.wearhouse.budget429} / ${c.b.baseline.budget429}`,
          ),
          row('requests per stored record', (c) => c.e && round(c.e.perRecord, 4)),
          row('floor (1 / page limit)', (c) => c.e && `${round(1 / c.e.pageLimit, 4)} (1/${c.e.pageLimit})`),
          row('floor ÷ achieved (page capacity used)', (c) => figure(c.efficiency, 'floor ÷ achieved')),
          row(
            'incremental sync, nothing new: requests (target: kinds)',
            (c) => c.e && `${c.e.nothingNew} (${kinds(c)})`,
          ),
          row('re-run of a covered backfill: requests (floor 0)', (c) => c.e?.rerun),
          row(
            're-run of a backfill reaching today: requests (target: kinds)',
            (c) => c.e && `${c.e.rerunToToday} (${kinds(c)})`,
          ),
        ],
      },
    ],
    notes: [
      'Requests per record differ by design, not by efficiency: a provider whose pages hold more records, or ' +
        'whose windows are longer, needs fewer requests per record; "floor ÷ achieved" is the comparable figure ' +
        '(the share of page capacity the backfill used).',
      "The first minute is the warm-up: every window asks for its first page at once while the worker's " +
        'code paths and connections are cold, so the rate is bound by per-page work × windows in flight; after ' +
        'it, by the budget. For a backfill of a few minutes the first minute weighs heavily in the mean.',
    ],
    details: Object.fromEntries(columns.map((c) => [c.provider.name, { budget: c.b, efficiency: c.e }])),
    seconds: 0,
  };
}
