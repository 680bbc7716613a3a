import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/** Small measuring tools the benchmark sections share: percentiles, a load generator, a figure row. */

export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export interface LoadResult {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: number;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationInSeconds: number;
  /** Requests per second offered by all connections together; absent = as fast as the server answers. */
  readonly overallRate?: number;
  /** The requests each connection sends in turn (autocannon's `requests`). */
  readonly requests: autocannon.Request[];
  readonly headers?: Record<string, string>;
}

/**
 * autocannon, the load generator: it keeps `connections` keep-alive connections busy (or offers a fixed rate)
 * and measures latency with HdrHistogram, corrected for coordinated omission when a rate is set.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationInSeconds,
    requests: options.requests,
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    timeout: 30,
  });
  const statuses: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stats.count ?? 0;
  return {
    perSecond: result.requests.total / (result.duration || options.durationInSeconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    statuses,
    errors: result.errors + result.timeouts,
  };
}

export interface Figure {
  readonly section: string;
  readonly measure: string;
  readonly value: string;
  readonly baseline?: string;
  /** value ÷ baseline where both are rates (higher is better). */
  readonly ratio?: number;
  readonly goal?: string;
  readonly met?: boolean;
  readonly note?: string;
}

export function formatFigure(figure: Figure): string {
  const ratio = figure.ratio === undefined ? '' : ` = ${figure.ratio.toFixed(2)}×`;
  const against = figure.baseline ? ` vs ${figure.baseline}${ratio}` : '';
  const goal = figure.goal ? `  [goal ${figure.goal}: ${figure.met ? 'met' : 'missed'}]` : '';
  return `${figure.measure}: ${figure.value}${against}${goal}${figure.note ? `  (${figure.note})` : ''}`;
}

export const ms = (value: number) => `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms`;
export const perSecond = (value: number) => `${value.toFixed(1)}/s`;
export const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** The highest resident memory a process has had (Linux's VmHWM), in MB. */
export function peakRssInMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}
