import { context, trace, TraceFlags, type Context } from '@opentelemetry/api';

/**
 * W3C Trace Context `traceparent` in queue message bodies. Azure Storage queue messages carry no trace
 * context of their own (the Functions host starts a new trace for each queue trigger), so the sender writes
 * its active span's traceparent into the message and the receiver continues that trace. Formatted and parsed
 * here rather than through the global propagator, so it works the same whatever SDK (or none) is set up.
 */

/** version 00, 32 hex trace id, 16 hex parent id, 2 hex flags (https://www.w3.org/TR/trace-context/#traceparent-header). */
export const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The active span's traceparent, or undefined when nothing is traced (telemetry off costs one lookup). */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A context whose parent is the remote span a traceparent names; undefined for an absent or malformed one. */
export function contextFromTraceparent(traceparent: string | undefined, base: Context = context.active()): Context | undefined {
  const match = traceparent === undefined ? null : traceparentPattern.exec(traceparent);
  if (!match) return undefined;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  // All-zero ids are invalid by the spec; such a parent is ignored rather than continued.
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return trace.setSpanContext(base, { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true });
}
