import type { SpanLine } from '../../shared/telemetry/spanFile';
import { spanAttributeNames } from '../../shared/telemetry/spans';

/**
 * A job's trace as a waterfall for a terminal: every span of the traces that name the job, as a tree
 * (children under their parent, by start), each with a bar on a common time axis. Pure, so a test can read it.
 */

/** The spans of every trace that holds a span naming the job (a sweep re-enqueue may start a second trace). */
export function spansOfJob(spans: readonly SpanLine[], jobId: string): SpanLine[] {
  const traceIds = new Set(spans.filter((span) => span.attributes[spanAttributeNames.jobId] === jobId).map((span) => span.traceId));
  return spans.filter((span) => traceIds.has(span.traceId));
}

const shown = [spanAttributeNames.outcome, spanAttributeNames.errorCode, spanAttributeNames.images, spanAttributeNames.costUsd, spanAttributeNames.blobKind, spanAttributeNames.imageIndex, spanAttributeNames.attempt, spanAttributeNames.statusCode];

export function renderWaterfall(spans: readonly SpanLine[], options: { width?: number } = {}): string {
  if (spans.length === 0) return '';
  const width = options.width ?? 40;
  const start = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.startMs + span.durationMs));
  const total = Math.max(1, end - start);
  const ids = new Set(spans.map((span) => span.spanId));
  const children = new Map<string, SpanLine[]>();
  for (const span of spans) {
    // A parent outside the file (the Functions host's own span in Azure, or a rotated-away one) makes a root.
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : '';
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const processes = [...new Set(spans.map((span) => span.process))];
  const lines: string[] = [];
  const traces = new Set(spans.map((span) => span.traceId));
  lines.push(`${traces.size === 1 ? 'trace' : 'traces'} ${[...traces].join(', ')}  ${new Date(start).toISOString()}  ${Math.round(total)} ms in all`);
  const walk = (parent: string, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort((a, b) => a.startMs - b.startMs)) {
      const from = Math.floor(((span.startMs - start) / total) * width);
      const length = Math.max(1, Math.round((span.durationMs / total) * width));
      const bar = `${' '.repeat(from)}${(span.status === 'error' ? '!' : '█').repeat(Math.min(length, width - from))}`.padEnd(width);
      const facts = shown.flatMap((name) => (span.attributes[name] === undefined ? [] : [`${name.replace(/^edu4all\./, '')}=${String(span.attributes[name])}`]));
      const where = processes.length > 1 ? ` [host ${processes.indexOf(span.process) + 1}]` : '';
      const label = `${'  '.repeat(depth)}${span.name}`;
      lines.push(`${label.padEnd(34)} |${bar}| ${`+${Math.round(span.startMs - start)} ms`.padStart(9)} ${`${span.durationMs.toFixed(1)} ms`.padStart(10)}${where}${facts.length ? `  ${facts.join(' ')}` : ''}`);
      for (const event of span.events ?? []) {
        lines.push(`${`${'  '.repeat(depth + 1)}· ${event.name}`.padEnd(34)}  ${' '.repeat(width)}  ${`+${Math.round(event.atMs - start)} ms`.padStart(9)}`);
      }
      walk(span.spanId, depth + 1);
    }
  };
  walk('', 0);
  return lines.join('\n');
}
