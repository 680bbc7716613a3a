import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { contextFromTraceparent } from './traceparent';

/**
 * The service's own spans. Attributes can only be set under the names below: each is an id, a code, a count
 * or an amount, so a span cannot carry a prompt, a student id, a key or a token (children's data and
 * secrets; a test reads every span of a job to check). Errors are recorded by their code or class name only:
 * an exception's message may quote what the caller sent.
 *
 * With no SDK registered (telemetry off) the OpenTelemetry API hands out non-recording spans, so each
 * `withSpan` costs a few object allocations and nothing is kept.
 */

export const spanAttributeNames = {
  jobId: 'edu4all.job.id',
  schoolId: 'edu4all.school.id',
  model: 'edu4all.model',
  deployment: 'edu4all.deployment',
  outcome: 'edu4all.outcome',
  errorCode: 'edu4all.error.code',
  images: 'edu4all.images',
  costUsd: 'edu4all.cost.usd',
  /** The job's attempts so far (each delivery of its message that started it), or a webhook's attempt number. */
  attempt: 'edu4all.attempt',
  queueWaitMs: 'edu4all.queue.wait_ms',
  statusCode: 'http.response.status_code',
  webhookType: 'edu4all.webhook.type',
  webhookId: 'edu4all.webhook.id',
  safetyEventId: 'edu4all.safety_event.id',
  blobKind: 'edu4all.blob.kind',
  imageIndex: 'edu4all.image.index',
  messageId: 'messaging.message.id',
  queue: 'messaging.destination.name',
} as const;

export type SpanFactName = keyof typeof spanAttributeNames;
export type SpanFacts = Partial<Record<SpanFactName, string | number | boolean | undefined>>;

/** A span as our code sees it: facts under the allowed names, and an outcome. */
export interface JobSpan {
  set(facts: SpanFacts): void;
  /** Marks the span failed with a code (never a message, which may quote the request). */
  fail(code: string): void;
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  /** Continue the trace a queue message names instead of the active one (a receiver of our messages). */
  readonly traceparent?: string;
}

const tracerName = 'edu4all-image-jobs';

export function attributesOf(facts: SpanFacts): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(facts) as [SpanFactName, SpanFacts[SpanFactName]][]) {
    if (value !== undefined) attributes[spanAttributeNames[name]] = value;
  }
  return attributes;
}

function jobSpanOf(span: Span): JobSpan {
  return {
    set: (facts) => span.setAttributes(attributesOf(facts)),
    fail: (code) => {
      span.setAttribute(spanAttributeNames.errorCode, code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
    },
  };
}

/** What a thrown error is called in a span: its stable code where it has one, else its class name. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof Error) {
    const code: unknown = Reflect.get(error, 'code');
    return typeof code === 'string' && /^[A-Za-z][\w.-]{0,63}$/.test(code) ? code : error.name;
  }
  return 'Unknown';
}

/**
 * Runs `work` in a new span, the active one while it runs (so spans and queue messages made inside are its
 * children), and ends it. A throw marks the span failed with the error's code and is rethrown.
 */
export async function withSpan<T>(name: string, facts: SpanFacts, work: (span: JobSpan) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  const parent = contextFromTraceparent(options.traceparent) ?? context.active();
  const span = trace.getTracer(tracerName).startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: attributesOf(facts) }, parent);
  const handle = jobSpanOf(span);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(handle));
  } catch (error) {
    handle.fail(errorCodeOf(error));
    throw error;
  } finally {
    span.end();
  }
}

/** Adds facts to the active span, if any (e.g. the job's outcome, learnt deep inside the worker). */
export function annotateActiveSpan(facts: SpanFacts): void {
  trace.getActiveSpan()?.setAttributes(attributesOf(facts));
}

/** A point in time on the active span (a retry, a wait), with facts. */
export function activeSpanEvent(name: string, facts: SpanFacts = {}): void {
  trace.getActiveSpan()?.addEvent(name, attributesOf(facts));
}

export { SpanKind };
