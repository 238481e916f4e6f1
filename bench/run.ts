// `npm run bench [-- --quick] [-- --only budget,ingest] [-- --out DIR]`: starts its own embedded
// Postgres and Temporal dev server, runs every measurement, and writes REPORT.md and REPORT.json
// (bench/ for a full run, bench/out/ for --quick, so the committed report is always a full one).
// `--providers` (`npm run bench:providers`) runs only the request measurements, once per provider of
// bench/providers.ts, and writes OURA.md and OURA.json: Oura's figures beside WHOOP's.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureDashboards } from './dashboards.ts';
import { type BenchServices, startServices } from './harness.ts';
import { measureIngest } from './ingest.ts';
import { describeMachine } from './machine.ts';
import { measureMemory } from './memory.ts';
import { measureOverhead } from './overhead.ts';
import { PROVIDERS_FULL_BUDGET, requestSteps, sideBySide } from './provider-steps.ts';
import { BENCH_PROVIDERS, WHOOP_BENCH } from './providers.ts';
import { type Report, renderMarkdown, type Section } from './report.ts';
import { FULL, QUICK, type Scale } from './scale.ts';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

interface Step {
  id: string;
  title: string;
  run(services: BenchServices, scale: Scale): Promise<Section>;
  cleanup?(): Promise<void>;
}

/** The budget and efficiency steps of one provider, sized by the run's budget scale. */
function requestStepsOf(provider: (typeof BENCH_PROVIDERS)[number]): Step[] {
  return requestSteps(provider, log).map((step) => ({
    ...step,
    run: (services, scale) => step.run(services, scale.budget),
  }));
}

// Run order (the efficiency step reuses the budget step's data); the report lists them in `ORDER`.
const STEPS: Step[] = [
  { id: 'ingest', title: 'Ingest', run: (s, scale) => measureIngest(s, scale.ingest, log) },
  ...requestStepsOf(WHOOP_BENCH),
  {
    id: 'overhead',
    title: 'Orchestration overhead',
    run: (s, scale) => measureOverhead(s, scale.overhead, log),
  },
  { id: 'memory', title: 'Memory', run: (s, scale) => measureMemory(s, scale.memory, log) },
  {
    id: 'dashboards',
    title: 'Dashboard queries',
    run: (s, scale) => measureDashboards(s, scale.dashboards, log),
  },
];
const ORDER = ['budget', 'efficiency', 'ingest', 'dashboards', 'memory', 'overhead'];

function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      out: { type: 'string' },
      providers: { type: 'boolean' },
      // Writes the Markdown again from the saved JSON (after a change to how it is rendered).
      render: { type: 'boolean' },
    },
  });
  const quick = values.quick ?? process.env.BENCH_QUICK === '1';
  const providers = values.providers ?? false;
  const scale = quick ? QUICK : FULL;
  const only = providers ? undefined : values.only?.split(',').map((s) => s.trim());
  const outDir = values.out ?? (quick || only ? join(benchDir, 'out') : benchDir);
  const baseName = providers ? 'OURA' : 'REPORT';
  const providerBudget = quick ? QUICK.budget : PROVIDERS_FULL_BUDGET;
  const steps = providers
    ? BENCH_PROVIDERS.flatMap((p) => requestSteps(p, log)).map(
        (step): Step => ({ ...step, run: (services) => step.run(services, providerBudget) }),
      )
    : STEPS.filter((s) => !only || only.includes(s.id));
  if (only?.includes('efficiency') && !only.includes('budget')) steps.unshift(STEPS[1] as Step);
  const order = providers ? ['side-by-side', ...steps.map((s) => s.id)] : ORDER;

  if (values.render) {
    const saved = JSON.parse(await readFile(join(outDir, `${baseName}.json`), 'utf8')) as Report;
    const measured = saved.sections.filter((s) => s.id !== 'side-by-side');
    const sections = providers ? [sideBySide(BENCH_PROVIDERS, measured), ...measured] : measured;
    await write(outDir, baseName, { ...saved, sections });
    log(`rendered ${join(outDir, `${baseName}.md`)} from ${baseName}.json`);
    return;
  }
  const started = performance.now();
  log(`starting Postgres and Temporal (${quick ? 'quick' : 'full'} run; report → ${outDir})`);
  const services = await startServices();
  const machine = await describeMachine(services);
  const sections: Section[] = [];
  const report = (): Report => ({
    ...(providers
      ? { title: 'wearhouse bench: providers side by side', command: 'npm run bench:providers' }
      : {}),
    generatedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    durationSeconds: (performance.now() - started) / 1000,
    machine: { ...machine, loadAtEnd: loadAverage() },
    sections: [...sections, ...(providers ? [sideBySide(BENCH_PROVIDERS, sections)] : [])].sort(
      (a, b) => order.indexOf(a.id) - order.indexOf(b.id),
    ),
  });
  try {
    for (const step of steps) {
      const stepStarted = performance.now();
      const loadBefore = loadAverage();
      log(`— ${step.title}`);
      try {
        const section = await step.run(services, scale);
        sections.push({ ...section, load: [loadBefore, loadAverage()] });
      } catch (error) {
        log(
          `${step.title} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        sections.push({
          id: step.id,
          title: step.title,
          method: '',
          figures: [],
          error: error instanceof Error ? error.message : String(error),
          seconds: (performance.now() - stepStarted) / 1000,
          load: [loadBefore, loadAverage()],
        });
      }
      // Written after every step, so an interrupted run still leaves what it measured.
      await write(outDir, baseName, report());
    }
  } finally {
    for (const step of steps) await step.cleanup?.().catch(() => {});
    await services.stop();
  }
  await write(outDir, baseName, report());
  log(`done in ${Math.round((performance.now() - started) / 1000)} s: ${join(outDir, `${baseName}.md`)}`);
}

async function write(outDir: string, baseName: string, report: Report): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, `${baseName}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDir, `${baseName}.md`), renderMarkdown(report));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
