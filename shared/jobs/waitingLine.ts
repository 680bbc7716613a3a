import type { CounterStore } from '../storage/counterStore';

/**
 * A waiting line for estimates: each accepted job takes a ticket, each started job counts. A job's position
 * is its ticket minus the started count; approximate when jobs start out of order or a ticket is wasted.
 */
export interface WaitingLine {
  join(): Promise<number>;
  markStarted(): Promise<void>;
  position(ticket: number): Promise<number>;
}

export function createWaitingLine(counters: CounterStore, lineName: string): WaitingLine {
  return {
    async join() {
      return (await counters.tryAdd(`line/${lineName}/tickets`, 1, Number.MAX_SAFE_INTEGER)).count;
    },
    async markStarted() {
      await counters.tryAdd(`line/${lineName}/started`, 1, Number.MAX_SAFE_INTEGER);
    },
    async position(ticket) {
      return Math.max(1, ticket - (await counters.get(`line/${lineName}/started`)));
    },
  };
}
