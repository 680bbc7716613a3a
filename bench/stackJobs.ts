import { startStack, tenantA, type JsonObject, type Stack, type StackOptions } from '../local/harness/stack';
import { sleep } from './measure';

/** What the benchmark sections do with a stack: start one for a section, submit, wait for jobs. */

/** Submits and returns the job id; a benchmark that cannot submit stops with the answer, not a timeout. */
export async function submitJob(stack: Stack, body: Record<string, unknown>): Promise<string> {
  const { status, body: answer } = await stack.submit(body);
  if (status !== 202 || typeof answer.id !== 'string') throw new Error(`submit answered ${status}: ${JSON.stringify(answer)}`);
  return answer.id;
}

/**
 * Waits until every job has ended, asking about one job at a time: a benchmark that polled hundreds of jobs
 * at once (3,600 status reads a second for 360 jobs) measured its own load, not the service.
 */
export async function waitForAll(stack: Stack, ids: readonly string[], timeoutInMs: number, headers?: Record<string, string>): Promise<JsonObject[]> {
  const deadline = Date.now() + timeoutInMs;
  const ended = new Map<string, JsonObject>();
  while (ended.size < ids.length) {
    if (Date.now() > deadline) throw new Error(`${ids.length - ended.size} jobs still running after ${timeoutInMs} ms`);
    for (const id of ids) {
      if (ended.has(id)) continue;
      const { body } = await stack.getJob(id, headers);
      if (body.status === 'Succeeded' || body.status === 'Failed' || body.status === 'Canceled') ended.set(id, body);
      else break;
    }
    if (ended.size < ids.length) await sleep(250);
  }
  return ids.map((id) => ended.get(id)!);
}

export async function withStack<T>(options: StackOptions, body: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await startStack(options);
  try {
    return await body(stack);
  } finally {
    await stack.stop();
  }
}

export const submitHeaders = { 'content-type': 'application/json', 'api-key': tenantA.key };
let submitCounter = 0;
/** Every submit names a student (as an LMS does), so the per-student quota counter is in the path too. */
export const submitRequest = () => ({
  method: 'POST' as const,
  path: '/api/jobs',
  setupRequest: (request: object) => ({
    ...request,
    body: JSON.stringify({ prompt: `A paper boat number ${submitCounter}`, user: `student-${submitCounter++ % 30}` }),
  }),
});

