import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { APIError } from 'openai';
import sharp from 'sharp';
import type { JobRecord } from '../../../shared/jobs/job';
import { getModel } from '../../../shared/models/modelCatalogue';
import type { ImageGenerationRequest } from '../../../shared/provider/imageProvider';
import { loadMetaprompt } from '../../../shared/safety/metaprompt';
import type { SafetyEvent } from '../../../shared/storage/safetyEventStore';
import { jobMessageFor } from '../../../shared/storage/jobMessage';
import { createDeploymentPool } from '../../../shared/provider/deploymentPool';
import type { WorkerDeps } from '../../../shared/worker/jobRun';
import { failPoisonedJob } from '../../../shared/worker/completion';
import { processJob } from '../../../shared/worker/processing';
import { fakeConfig, fakeImageStore, fakeJob, fakeJobStore, fakeLineStore, fakeLog } from '../../helpers/fakes';

const config = fakeConfig();

let picture: Buffer;
before(async () => {
  picture = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#3a6' } }).png().toBuffer();
});

/** A clock that only moves when the worker sleeps. */
function fakeClock(start = Date.parse('2026-12-01T08:00:00.000Z')) {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms: number) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

/** WorkerDeps as plain objects; `answers` are what the image provider does on each call, in turn. */
function deps(job: JobRecord, answers: ((request: ImageGenerationRequest) => Promise<void>)[], line = fakeLineStore()) {
  const jobs = fakeJobStore([job]);
  const images = fakeImageStore();
  const calls: ImageGenerationRequest[] = [];
  const refusals: SafetyEvent[] = [];
  const queued: { jobId: string; delayInSeconds?: number }[] = [];
  const spend: number[] = [];
  const services: WorkerDeps = {
    config,
    profile: getModel('gpt-image-2'),
    jobs,
    images,
    uploads: { containerName: 'uploads', read: () => Promise.resolve(undefined) },
    jobQueue: { enqueue: (jobId, options) => Promise.resolve(void queued.push({ jobId, ...options })) },
    line,
    // The real pool over one deployment whose pace always has a slot: the policy under test is the worker's.
    imagePool: createDeploymentPool([
      {
        name: 'gpt-image-2',
        priority: 1,
        pacer: { secondsPerCall: 1, tryAcquire: (now = new Date()) => Promise.resolve({ granted: true as const, startAt: now }) },
        provider: {
          generate: async (request: ImageGenerationRequest) => {
            calls.push(request);
            await answers[calls.length - 1]?.(request);
            await request.onPartialImage?.({ bytes: picture, partialIndex: 0 });
            return { images: Array.from({ length: request.n }, () => ({ bytes: picture })), usage: { textInputTokens: 50, imageInputTokens: 0, outputTokens: 1000 } };
          },
          edit: () => Promise.reject(new Error('no edits in these tests')),
        },
      },
    ]),
    pseudonyms: { safetyIdentifier: (tenantId, user) => `id-${tenantId}-${user ?? ''}` },
    quotas: { recordSpend: (_tenantId, costUsd) => Promise.resolve(void spend.push(costUsd)) },
    metapromptFor: (version) => loadMetaprompt(version),
    safetyEvents: {
      record: (event) => Promise.resolve({ ...event, id: '6f1c1d9e-3a55-4a43-9c56-3f4b2a1d0e7f', createdDateTime: '2026-12-01T08:00:00.000Z', urgent: false, repeated: false }),
    },
    refusalReports: { refused: (event) => Promise.resolve(void refusals.push(event)), urgent: (event) => Promise.resolve(void refusals.push(event)) },
    contentSafety: undefined,
  };
  return { services, jobs, images, calls, refusals, queued, spend, line };
}

const message = (job: JobRecord) => jobMessageFor(job.id);

describe('processJob (in process, on a fake clock)', () => {
  it('makes the pictures, saves them with thumbnails, and ends the job Succeeded with its usage and cost', async () => {
    const job = fakeJob({ request: { ...fakeJob().request, n: 2 } });
    const { services, jobs, images, calls, spend } = deps(job, []);
    const clock = fakeClock();
    await processJob(services, message(job), { messageId: 'm-1', log: fakeLog(), ...clock });
    const done = jobs.records.get(job.id);
    assert.equal(done?.status, 'Succeeded');
    assert.equal(calls.length, 1, 'gpt-image-2 makes both pictures in one call');
    assert.match(calls[0]?.prompt ?? '', /a lighthouse at dawn/);
    assert.equal(calls[0]?.safetyIdentifier, 'id-school-a-student-7');
    if (done?.status !== 'Succeeded') return;
    assert.deepEqual(done.images.map((image) => [image.index, image.thumbnail !== undefined]), [[0, true], [1, true]]);
    assert.equal(done.usage?.outputTokens, 1000, 'one call, counted once');
    assert.ok((done.usage?.estimatedCostUsd ?? 0) > 0);
    assert.deepEqual(spend, [done.usage?.estimatedCostUsd]);
    assert.equal(images.previews.size, 0, 'the previews go once the pictures are there');
    assert.deepEqual(clock.slept, []);
  });

  it('waits out a 429 for as long as the provider asks, then succeeds', async () => {
    const job = fakeJob();
    const busy = () => Promise.reject(APIError.generate(429, { message: 'busy' }, 'busy', new Headers({ 'retry-after': '7' })));
    const { services, jobs, calls } = deps(job, [busy]);
    const clock = fakeClock();
    await processJob(services, message(job), { messageId: 'm-1', log: fakeLog(), ...clock });
    assert.equal(jobs.records.get(job.id)?.status, 'Succeeded');
    assert.equal(calls.length, 2);
    assert.deepEqual(clock.slept, [7000]);
  });

  it('ends the job ContentFiltered at once on a filtered prompt, and records the refusal for the teachers', async () => {
    const job = fakeJob();
    const filtered = () => Promise.reject(APIError.generate(400, { error: { code: 'content_policy_violation', message: 'Your request was rejected by the safety system.' } }, 'blocked', new Headers()));
    const { services, jobs, calls, refusals, images } = deps(job, [filtered]);
    await processJob(services, message(job), { messageId: 'm-1', log: fakeLog(), ...fakeClock() });
    const done = jobs.records.get(job.id);
    assert.equal(done?.status, 'Failed');
    assert.equal(done?.status === 'Failed' ? done.error.code : undefined, 'ContentFiltered');
    assert.equal(calls.length, 1);
    assert.deepEqual(refusals.map((event) => [event.layer, event.jobId]), [['providerPrompt', job.id]]);
    assert.equal(images.blobs.size, 0);
  });

  it('ignores a duplicate message of a finished job, and fails a poisoned one with its last reason', async () => {
    const job = fakeJob();
    const { services, jobs, calls } = deps(job, []);
    await processJob(services, message(job), { messageId: 'm-1', log: fakeLog(), ...fakeClock() });
    await processJob(services, message(job), { messageId: 'm-2', log: fakeLog(), ...fakeClock() });
    assert.equal(calls.length, 1);

    const stuck = fakeJob();
    jobs.records.set(stuck.id, stuck);
    await failPoisonedJob(services, message(stuck), fakeLog());
    assert.equal(jobs.records.get(stuck.id)?.status, 'Failed');
  });
});
