// The report's shape (REPORT.json) and its Markdown rendering (REPORT.md).
import type { MachineInfo } from './machine.ts';

export interface Figure {
  label: string;
  value: number | string | null;
  unit?: string;
  /** The target or floor the figure is read against, as text ("≥ 0.97", "floor 0.04"). */
  target?: string;
  /** Whether the target is met; absent when the figure has no target. */
  met?: boolean;
  /** One line: what bounds this figure and what would move it. */
  why: string;
}

export interface Table {
  title: string;
  headers: string[];
  rows: (string | number | null)[][];
}

export interface Section {
  id: string;
  title: string;
  /** How the figures were obtained, in a sentence or two. */
  method: string;
  figures: Figure[];
  tables?: Table[];
  notes?: string[];
  /** Raw measurements for REPORT.json. */
  details?: unknown;
  error?: string;
  seconds: number;
  /** 1-minute load average when the step started and ended (the machine is shared). */
  load?: [number, number];
}

export interface Report {
  /** Heading and the command that writes it; the main report's by default. */
  title?: string;
  command?: string;
  generatedAt: string;
  mode: 'full' | 'quick';
  durationSeconds: number;
  machine: MachineInfo;
  sections: Section[];
}

export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const out: string[] = [
    `# ${report.title ?? 'wearhouse bench report'}`,
    '',
    `Generated ${report.generatedAt} by \`${report.command ?? 'npm run bench'}\`${report.mode === 'quick' ? ' --quick (small sizes: not the reference figures)' : ''} in ${Math.round(report.durationSeconds)} s.`,
    'Figures are measured, never asserted; each says what bounds it and what would move it.',
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${m.cpuModel} |`,
    `| cores | ${m.cores} |`,
    `| memory | ${m.memoryGb} GB |`,
    `| OS | ${m.os} |`,
    `| Node | ${m.node} |`,
    `| Postgres | ${m.postgres} |`,
    `| Temporal | ${m.temporal} |`,
    `| load average (1 min) at start / end | ${m.loadAtStart} / ${m.loadAtEnd ?? '?'} |`,
    `| commit | ${m.commit} |`,
    '',
    'The machine was shared with other test runs while the bench ran: absolute times carry that noise;',
    'ratios against a baseline measured in the same run carry less.',
    '',
    '## Summary',
    '',
    '| measurement | figure | value | target | |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const section of report.sections) {
    if (section.error) {
      out.push(`| ${section.title} | not measured | ${cell(section.error.split('\n')[0] ?? '')} | | ✗ |`);
      continue;
    }
    for (const f of section.figures.filter((f) => f.target !== undefined)) {
      out.push(
        `| ${section.title} | ${f.label} | ${formatValue(f)} | ${f.target} | ${f.met === undefined ? '' : f.met ? '✓' : '✗'} |`,
      );
    }
  }
  for (const [index, section] of report.sections.entries()) {
    out.push('', `## ${index + 1}. ${section.title}`, '', section.method, '');
    if (section.error) {
      out.push(`**Not measured:** ${section.error}`, '');
      continue;
    }
    if (section.figures.length > 0) {
      out.push(
        '| figure | value | target | what bounds it, what would move it |',
        '| --- | --- | --- | --- |',
      );
    }
    for (const f of section.figures) {
      const mark = f.met === undefined ? '' : f.met ? ' ✓' : ' ✗';
      out.push(`| ${f.label} | ${formatValue(f)} | ${f.target ?? ''}${mark} | ${cell(f.why)} |`);
    }
    for (const table of section.tables ?? []) {
      out.push('', `**${table.title}**`, '', `| ${table.headers.join(' | ')} |`);
      out.push(`| ${table.headers.map(() => '---').join(' | ')} |`);
      for (const row of table.rows)
        out.push(`| ${row.map((c) => cell(String(c ?? '')).trim()).join(' | ')} |`);
    }
    if (section.notes?.length) {
      out.push('');
      for (const note of section.notes) out.push(`- ${note}`);
    }
    const load = section.load
      ? `; load average (1 min) ${section.load[0]} at the start, ${section.load[1]} at the end`
      : '';
    out.push('', `_${Math.round(section.seconds)} s${load}_`);
  }
  return `${out.join('\n')}\n`;
}

function formatValue(f: Figure): string {
  if (f.value === null) return 'n/a';
  const value = typeof f.value === 'number' ? formatNumber(f.value) : f.value;
  return f.unit ? `${value} ${f.unit}` : value;
}

export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
