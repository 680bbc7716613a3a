import { randomUUID } from 'node:crypto';
import { type JsonObject, type Stack } from '../../local/harness/stack';
import { ms, percentile, sleep } from '../measure';
import type { BenchRun } from '../report';
import { submitJob, waitForAll, withStack } from '../stackJobs';

interface Overhead {
  /** Submit accepted → the provider call began, less nothing: queue pick-up plus the worker's work before the call. */
  readonly pickUp: number;
  /** Everything that is not the model: total − the image service's answer time. */
  readonly overhead: number;
  /** The image service's answer time (300 ms set, plus drawing its placeholders and partial images). */
  readonly model: number;
}

/** Times one job from its record and the image service's log of calls. */
async function overheadOf(stack: Stack, id: string, marker: string, modelLatency: number, ended?: JsonObject): Promise<Overhead> {
  const job = ended ?? (await stack.waitForJob(id, 60_000));
  if (job.status !== 'Succeeded') throw new Error(`job ${id} ended ${String(job.status)}`);
  const call = stack.imageService.calls().find((c) => c.prompt.includes(marker) && c.status === 200);
  if (!call) throw new Error(`no provider call for ${id}`);
  const created = Date.parse(String(job['createdDateTime']));
  const finished = Date.parse(String(job['lastUpdatedDateTime']));
  // The model's time is the whole answer as the image service sent it: its set latency, and the placeholder
  // pictures and partial images it draws meanwhile, which are the stand-in's work, not ours.
  const model = call.answeredInMs ?? modelLatency;
  return { pickUp: Date.parse(call.receivedAt) - created, overhead: finished - created - model, model };
}

/** The samples' overhead in percentiles, with the pick-up and the model's time beside it. */
function summarise(samples: readonly Overhead[]) {
  const overheads = samples.map((s) => s.overhead);
  const pickUps = samples.map((s) => s.pickUp);
  return {
    p50: percentile(overheads, 0.5),
    p99: percentile(overheads, 0.99),
    text:
      `p50 ${ms(percentile(overheads, 0.5))}, p99 ${ms(percentile(overheads, 0.99))} (of which submit to the call's start p50 ${ms(percentile(pickUps, 0.5))}, p99 ${ms(percentile(pickUps, 0.99))}; ` +
      `the image service's answers took p50 ${ms(percentile(samples.map((s) => s.model), 0.5))})`,
  };
}

const modelLatency = 300;

/** Jobs one at a time, each after a pause: what a student on a quiet host waits beyond the model. */
async function idleOverheads(stack: Stack, jobs: number): Promise<Overhead[]> {
  const idle: Overhead[] = [];
  for (let i = 0; i < jobs; i++) {
    // Long enough for the queue listener to back off to its longest interval (2 s), as on an idle
    // afternoon, and a random part, so the submits do not lock onto the listener's polling phase.
    await sleep(2500 + Math.random() * 2000);
    const marker = randomUUID();
    idle.push(await overheadOf(stack, await submitJob(stack, { prompt: `a lighthouse ${marker}` }), marker, modelLatency));
  }
  return idle;
}

/** Jobs submitted at a steady rate for a while, timed once all have ended. */
async function loadedOverheads(stack: Stack, rate: number, seconds: number): Promise<Overhead[]> {
  const submitted: Array<{ id: string; marker: string }> = [];
  for (let i = 0; i < rate * seconds; i++) {
    const marker = randomUUID();
    submitted.push({ id: await submitJob(stack, { prompt: `a lighthouse ${marker}` }), marker });
    await sleep(1000 / rate);
  }
  const ended = await waitForAll(stack, submitted.map((job) => job.id), 5 * 60_000);
  return Promise.all(submitted.map(({ id, marker }, i) => overheadOf(stack, id, marker, modelLatency, ended[i])));
}

/** (3) Our share of the wait: end to end less the model's time, idle and under load, split into pick-up and the rest. */
export async function overheadSection(run: BenchRun): Promise<void> {
  console.log('(3) overhead beyond model time');
  // Submit sends the job's message through the queue output binding, which wakes the host's own listener at
  // once (queueOutput.ts), so an idle host no longer waits out its polling back-off (host.json's 2 s cap:
  // 3 queues polled once per 2 s ≈ 3.9 M queue transactions a month per always-ready instance). Live
  // previews are measured on (the default) and off: storing each partial image is work on the worker's path.
  const configurations: Array<{ name: string; env: Record<string, string>; underLoad: boolean }> = [
    { name: 'live previews on (PARTIAL_IMAGES 2, the default)', env: {}, underLoad: true },
    { name: 'live previews off (PARTIAL_IMAGES 0)', env: { PARTIAL_IMAGES: '0' }, underLoad: false },
  ];
  for (const configuration of configurations) {
    await withStack({ imageService: { latencyMs: modelLatency }, env: configuration.env }, async (stack) => {
      const idle = await idleOverheads(stack, run.quick ? 3 : 10);
      const idleFigures = summarise(idle);
      run.report({
        section: 'overhead',
        measure: `overhead beyond model time, idle, ${configuration.name}, ${idle.length} jobs`,
        value: idleFigures.text,
        baseline: `model time ${ms(modelLatency)} set`,
        goal: 'p50 ≤ 150 ms, p99 ≤ 1 s',
        met: idleFigures.p50 <= 150 && idleFigures.p99 <= 1000,
      });
      if (!configuration.underLoad) return;
      const rate = 5;
      const loaded = await loadedOverheads(stack, rate, run.seconds);
      run.report({
        section: 'overhead',
        measure: `overhead beyond model time, under load (${rate} jobs/s on one host: host.json's batchSize 2 and newBatchThreshold 1 run at most 3 jobs at once), ${configuration.name}, ${loaded.length} jobs`,
        value: summarise(loaded).text,
        baseline: `model time ${ms(modelLatency)} set`,
      });
    });
  }
}
