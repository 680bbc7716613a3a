import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';

/**
 * Local traces: each finished span as one JSON line in a file (LOCAL_TRACES_FILE; `npm start` uses
 * .traces/spans.jsonl), read back by `npm run ops -- trace <jobId>`. Every host process appends to the same
 * file, one write per span (O_APPEND keeps lines whole), so a trace that crosses hosts is in one place.
 * Bounded: past LOCAL_TRACES_MAX_MB the file becomes `<name>.1` (replacing the older one) and a new one
 * starts, so at most twice the limit is kept.
 */

export const spanLineSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  kind: z.string(),
  /** Epoch milliseconds, with sub-millisecond precision. */
  startMs: z.number(),
  durationMs: z.number(),
  status: z.enum(['ok', 'error', 'unset']),
  statusMessage: z.string().optional(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  events: z.array(z.object({ name: z.string(), atMs: z.number(), attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() })).optional(),
  /** Which process wrote it (a host's pid), to tell two hosts apart in a waterfall. */
  process: z.string(),
});
export type SpanLine = z.infer<typeof spanLineSchema>;

const hrToMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;

function plainAttributes(attributes: Attributes): Record<string, string | number | boolean> {
  const plain: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') plain[key] = value;
  }
  return plain;
}

export function spanLineOf(span: ReadableSpan, processName: string): SpanLine {
  const { traceId, spanId } = span.spanContext();
  const parentSpanId = span.parentSpanContext?.spanId;
  return {
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name: span.name,
    kind: SpanKind[span.kind],
    startMs: hrToMs(span.startTime),
    durationMs: hrToMs(span.duration),
    status: span.status.code === SpanStatusCode.ERROR ? 'error' : span.status.code === SpanStatusCode.OK ? 'ok' : 'unset',
    ...(span.status.message ? { statusMessage: span.status.message } : {}),
    attributes: plainAttributes(span.attributes),
    ...(span.events.length > 0
      ? { events: span.events.map((event) => ({ name: event.name, atMs: hrToMs(event.time), ...(event.attributes ? { attributes: plainAttributes(event.attributes) } : {}) })) }
      : {}),
    process: processName,
  };
}

export interface SpanFileOptions {
  readonly file: string;
  readonly maxBytes: number;
  readonly processName?: string;
}

/** A span exporter that appends JSON lines to a file; synchronous, so a host killed mid-job loses nothing already ended. */
export function createSpanFileExporter(options: SpanFileOptions): SpanExporter {
  const processName = options.processName ?? `pid ${process.pid}`;
  mkdirSync(path.dirname(options.file), { recursive: true });
  let writtenSinceCheck = 0;
  const rotateIfFull = () => {
    // A stat every 64 KiB written, not per span: two hosts share the file, so its own count is not enough.
    if (writtenSinceCheck < 64 * 1024) return;
    writtenSinceCheck = 0;
    try {
      if (statSync(options.file).size > options.maxBytes) renameSync(options.file, `${options.file}.1`);
    } catch {
      // Another host rotated it first, or it is gone: the next append starts a new file.
    }
  };
  return {
    export(spans, done) {
      try {
        const text = spans.map((span) => `${JSON.stringify(spanLineOf(span, processName))}\n`).join('');
        appendFileSync(options.file, text);
        writtenSinceCheck += text.length;
        rotateIfFull();
        done({ code: 0 });
      } catch (error) {
        done({ code: 1, error: error instanceof Error ? error : new Error(String(error)) });
      }
    },
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  };
}

/** The spans in a trace file and its rotated predecessor, oldest first; lines that do not parse are skipped. */
export function readSpanFile(file: string): SpanLine[] {
  const lines: SpanLine[] = [];
  for (const name of [`${file}.1`, file]) {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const parsed = spanLineSchema.safeParse(JSON.parse(line));
        if (parsed.success) lines.push(parsed.data);
      } catch {
        // A line cut by a crash mid-write.
      }
    }
  }
  return lines;
}
