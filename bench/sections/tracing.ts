import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHostProcess, tenantA } from '../../local/harness/stack';
import { load, perSecond } from '../measure';
import type { BenchRun } from '../report';
import { submitHeaders, submitJob, submitRequest, withStack } from '../stackJobs';

/**
 * (2b) What tracing costs: submit and status reads on two hosts of one stack, one with spans written to a
 * file (LOCAL_TRACES_FILE, as npm start runs) and one with telemetry off, measured in turns (off, on, off, on)
 * so drift on a shared machine falls on both. Neither host runs the worker (AzureWebJobs.processJob.Disabled),
 * so only the HTTP paths are measured; a first host makes the 4-picture job the reads ask for, then stops.
 */
export async function tracingSection(run: BenchRun): Promise<void> {
  console.log('(2b) tracing on and off');
  const traceDir = mkdtempSync(path.join(os.tmpdir(), 'edu4all-bench-traces-'));
  try {
    await withStack({}, async (stack) => {
      const id = await submitJob(stack, { prompt: 'four paper boats', n: 4 });
      const job = await stack.waitForJob(id);
      if (job.status !== 'Succeeded') throw new Error(`the tracing section's job ended ${String(job.status)}`);
      await stack.hosts[0]?.kill();
      stack.hosts.splice(0, 1);
      const noWorker = { ...stack.env, 'AzureWebJobs.processJob.Disabled': 'true' };
      const off = await startHostProcess(noWorker);
      const on = await startHostProcess({ ...noWorker, LOCAL_TRACES_FILE: path.join(traceDir, 'spans.jsonl') });
      stack.hosts.push(off, on);
      const measure = async (url: string) => {
        const submit = await load({ url, connections: 8, durationInSeconds: run.seconds, headers: submitHeaders, requests: [submitRequest()] });
        const status = await load({ url, connections: 8, durationInSeconds: run.seconds, headers: { 'api-key': tenantA.key }, requests: [{ method: 'GET', path: `/api/jobs/${id}` }] });
        return { submit: submit.perSecond, status: status.perSecond };
      };
      const rounds = { off: { submit: 0, status: 0 }, on: { submit: 0, status: 0 } };
      for (let round = 0; round < 2; round++) {
        for (const [name, host] of [['off', off], ['on', on]] as const) {
          const figures = await measure(host.url);
          rounds[name].submit += figures.submit / 2;
          rounds[name].status += figures.status / 2;
        }
      }
      for (const what of ['submit', 'status'] as const) {
        const ratio = rounds.on[what] / rounds.off[what];
        run.report({
          section: 'tracing',
          measure: `${what === 'submit' ? 'submits' : 'status reads (4 image links)'}, concurrency 8, spans to a file`,
          value: perSecond(rounds.on[what]),
          baseline: `telemetry off ${perSecond(rounds.off[what])}`,
          ratio,
          goal: '≥ 0.90× off',
          met: ratio >= 0.9,
        });
      }
    });
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
}

