import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectDir } from '../local/harness/stack';
import { formatFigure, type Figure } from './measure';

/** One benchmark run: its size, and the figures its sections report. */
export interface BenchRun {
  /** `--quick`: the same sections, smaller, in about a minute. */
  readonly quick: boolean;
  /** How long each load lasts. */
  readonly seconds: number;
  /** `--only=…`: some sections only, so the report is not the committed one. */
  readonly partial: boolean;
  /** Keeps a figure for the report and prints it at once. */
  report(figure: Figure): void;
  figures(): readonly Figure[];
}

export function createBenchRun(quick: boolean, partial: boolean): BenchRun {
  const figures: Figure[] = [];
  return {
    quick,
    seconds: quick ? 3 : 10,
    partial,
    report(figure) {
      figures.push(figure);
      console.log(`  ${formatFigure(figure)}`);
    },
    figures: () => figures,
  };
}

/** Writes the run's figures as docs/benchmarks.md (a full run) or docs/benchmarks-quick.md. */
export function writeReport(run: BenchRun, startedAt: Date, totalSeconds: number): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const packageJson = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { version: string };
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${run.quick ? ' -- --quick' : ''}\` on ${startedAt.toISOString().slice(0, 10)} in ${totalSeconds.toFixed(0)} s ` +
      `(edu4all-image-jobs ${packageJson.version}). Each figure stands beside a baseline measured in the same run on the same Azurite; ` +
      'the ratios travel between machines better than the absolute figures.',
    '',
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; Node ${process.version}; ` +
      'everything (load generator, Azurite, image service, hosts) on this one machine, so they share its cores.',
    '',
    '| section | measure | figure | baseline | ratio | goal |',
    '|---|---|---|---|---|---|',
    ...run.figures().map((f) =>
      `| ${f.section} | ${f.measure} | ${f.value}${f.note ? ` (${f.note})` : ''} | ${f.baseline ?? ''} | ${f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}×`} | ${f.goal ? `${f.goal}: **${f.met ? 'met' : 'missed'}**` : ''} |`,
    ),
    '',
  ];
  // The committed report is a full run's; a quick or partial run writes beside it (ignored by git).
  const file = path.join(projectDir, 'docs', run.quick || run.partial ? 'benchmarks-quick.md' : 'benchmarks.md');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, lines.join('\n'));
  console.log(`written to ${path.relative(projectDir, file)}`);
}
