import type { Fault } from './faults';

/** One entry of the image service's call log (`calls()`, GET /_control/calls), which tests and the benchmark read. */
export interface RecordedCall {
  /** When the call was logged: as it was answered, or for a streamed call as its stream began. */
  readonly at: string;
  /** When the request had arrived (its body read). */
  readonly receivedAt: string;
  /**
   * How long the whole answer took, a stream's events included: the provider's share of a job's time,
   * which the benchmark subtracts (bench/sections/overhead.ts). Set once the answer has been sent.
   */
  answeredInMs?: number;
  readonly path: string;
  readonly prompt: string;
  readonly n: number;
  readonly size: string;
  readonly status: number;
  readonly fault?: Fault['kind'];
  /** The optional parameters the call sent, as sent (so tests can check what reaches the provider). */
  readonly parameters: Readonly<Record<string, unknown>>;
}
