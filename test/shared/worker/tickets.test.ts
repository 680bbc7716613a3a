import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { APIError } from 'openai';
import sharp from 'sharp';
import type { JobRecord } from '../../../shared/jobs/job';
import { fairnessWindowInMs, type LineEntry } from '../../../shared/jobs/turns';
import { getModel } from '../../../shared/models/modelCatalogue';
import { createDeploymentPool } from '../../../shared/provider/deploymentPool';
import type { GenerationResult, ImageGenerationRequest } from '../../../shared/provider/imageProvider';
import { loadMetaprompt } from '../../../shared/safety/metaprompt';
import { jobMessageFor } from '../../../shared/storage/jobMessage';
import { failPoisonedJob } from '../../../shared/worker/completion';
import type { WorkerDeps } from '../../../shared/worker/jobRun';
import { processJob } from '../../../shared/worker/processing';
import { fakeConfig, fakeImageStore, fakeJob, fakeJobStore, fakeLineStore, fakeLog } from '../../helpers/fakes';

const config = fakeConfig();
const start = Date.parse('2026-12-01T08:00:00.000Z');

let picture: Buffer;
before(async () => {
  picture = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#36a' } }).png().toBuffer();
});

/** A job of `student` of school-a, accepted `at` ms after the start, whose prompt names it. */
function job(name: string, student: string | undefined, at: number, extra: Partial<JobRecord> = {}): JobRecord {
  const base = fakeJob();
  const created = new Date(start + at).toISOString();
  const request = { ...base.request, prompt: `a picture called ${name}` };
  if (student === undefined) delete request.user;
  else request.user = student;
  return { ...base, createdDateTime: created, lastUpdatedDateTime: created, request, ...extra } as JobRecord;
}

const entryOf = (record: JobRecord, extra: Partial<LineEntry> = {}): Omit<LineEntry, 'etag'> => ({
  jobId: record.id,
  tenantId: record.tenantId,
  student: record.request.user ?? '',
  acceptedAt: Date.parse(record.createdDateTime),
  state: 'waiting',
  ...extra,
});

/** WorkerDeps as plain objects, with the line; the provider records which job each call was for. */
function deps(records: readonly JobRecord[], entries: readonly Omit<LineEntry, 'etag'>[]) {
  const jobs = fakeJobStore(records);
  const line = fakeLineStore(entries);
  const called: string[] = [];
  const queued: { jobId: string; delayInSeconds?: number; ticket?: string }[] = [];
  const provider = {
    generate: (request: ImageGenerationRequest): Promise<GenerationResult> => {
      called.push(/called (\S+)/.exec(request.prompt)?.[1] ?? '?');
      return Promise.resolve({ images: Array.from({ length: request.n }, () => ({ bytes: picture })) });
    },
    edit: (): Promise<GenerationResult> => Promise.reject(new Error('no edits in these tests')),
  };
  const services: WorkerDeps = {
    config,
    profile: getModel('gpt-image-2'),
    jobs,
    images: fakeImageStore(),
    uploads: { containerName: 'uploads', read: () => Promise.resolve(undefined) },
    jobQueue: { enqueue: (jobId, options) => Promise.resolve(void queued.push({ jobId, ...options })) },
    line,
    // The real pool over one deployment whose pace always has a slot; the provider records which job each call was for.
    imagePool: createDeploymentPool([
      { name: 'gpt-image-2', priority: 1, pacer: { secondsPerCall: 1, tryAcquire: (now = new Date()) => Promise.resolve({ granted: true as const, startAt: now }) }, provider },
    ]),
    pseudonyms: { safetyIdentifier: (tenantId, user) => `id-${tenantId}-${user ?? ''}` },
    quotas: { recordSpend: () => Promise.resolve() },
    metapromptFor: (version) => loadMetaprompt(version),
    safetyEvents: { record: () => Promise.reject(new Error('no refusals in these tests')) },
    refusalReports: { refused: () => Promise.resolve(), urgent: () => Promise.resolve() },
    contentSafety: undefined,
  };
  return { services, provider, jobs, line, called, queued };
}

const context = (messageId = 'm-1') => ({ messageId, log: fakeLog(), now: () => start + 60_000, sleep: () => Promise.resolve() });

describe('tickets (in process, plain-object line)', () => {
  it("gives each ticket the fairest waiting job, not the one its message names: a classmate's first before a second", async () => {
    const a1 = job('a1', 'ann', 0);
    const a2 = job('a2', 'ann', 1);
    const b1 = job('b1', 'ben', 2);
    const { services, called, jobs } = deps([a1, a2, b1], [entryOf(a1), entryOf(a2), entryOf(b1)]);
    for (const record of [a1, a2, b1]) await processJob(services, jobMessageFor(record.id), context(`m-${record.id}`));
    assert.deepEqual(called, ['a1', 'b1', 'a2']);
    assert.ok([a1, a2, b1].every((record) => jobs.records.get(record.id)?.status === 'Succeeded'));
  });

  it('takes the next job when another ticket wins the claim', async () => {
    const a = job('a', 'ann', 0);
    const b = job('b', 'ben', 1);
    const { services, called, line } = deps([a, b], [entryOf(a), entryOf(b)]);
    line.beforeClaim = (entry) => {
      line.beforeClaim = undefined;
      // Another instance's ticket claims the same job between our read and our write.
      void line.hold(entry.jobId, 'other-ticket', start + 600_000);
    };
    const message = jobMessageFor(a.id);
    await processJob(services, message, context());
    assert.deepEqual(called, ['b']);
    assert.equal(line.entries.get(a.id)?.claimedBy, 'other-ticket');
    assert.equal(line.entries.get(b.id)?.claimedBy, message.ticket);
  });

  it('never spends a ticket on a job canceled while it waited: it marks it done and runs the next', async () => {
    const canceled = job('gone', 'ann', 0, { status: 'Canceled', error: { code: 'Canceled', message: 'The job was canceled.' } });
    const erasedId = randomUUID();
    const next = job('next', 'ben', 2);
    const { services, called, line } = deps([canceled, next], [entryOf(canceled), { ...entryOf(next), jobId: erasedId, acceptedAt: start + 1 }, entryOf(next)]);
    await processJob(services, jobMessageFor(next.id), context());
    assert.deepEqual(called, ['next']);
    assert.equal(line.entries.get(canceled.id)?.state, 'done');
    assert.equal(line.entries.has(erasedId), false, 'an erased job leaves the line');
  });

  it('resumes the job its ticket claimed when the message comes again, before any fairer one', async () => {
    const older = job('older', 'ann', 0);
    const mine = job('mine', 'ben', 5);
    const message = jobMessageFor(older.id);
    const { services, called } = deps([older, mine], [entryOf(older), entryOf(mine, { state: 'started', claimedBy: message.ticket ?? '', claimedUntil: start + 1 })]);
    await processJob(services, message, context());
    assert.deepEqual(called, ['mine']);
  });

  it('runs the job a message from before the line names, even while others wait in line', async () => {
    const old = job('old', 'ann', 0);
    const waiting = job('waiting', 'ben', 1);
    const { services, called, line } = deps([old, waiting], [entryOf(waiting)]);
    await processJob(services, { jobId: old.id }, context());
    assert.deepEqual(called, ['old']);
    assert.deepEqual([...line.entries.keys()], [waiting.id], 'nothing added, nothing claimed');
  });

  it('runs its own job when that failed to join the line and nothing there waits', async () => {
    const lost = job('lost', 'ann', 0);
    const { services, called } = deps([lost], []);
    await processJob(services, jobMessageFor(lost.id), context());
    assert.deepEqual(called, ['lost']);
  });

  it('is a spare ticket when its job is in the line and nothing waits: no call', async () => {
    const done = job('done', 'ann', 0);
    const { services, called } = deps([done], [entryOf(done, { state: 'done', endedAt: start })]);
    await processJob(services, jobMessageFor(done.id), context());
    assert.deepEqual(called, []);
  });

  it('removes finished entries past the fairness window as it goes', async () => {
    const old = job('old', 'ann', 0);
    const recent = job('recent', 'ben', 0);
    const waiting = job('waiting', 'cat', 0);
    const now = start + 60_000;
    const { services, line } = deps([waiting], [entryOf(old, { state: 'done', endedAt: now - fairnessWindowInMs - 1 }), entryOf(recent, { state: 'done', endedAt: now - 1000 }), entryOf(waiting)]);
    await processJob(services, jobMessageFor(waiting.id), context());
    assert.deepEqual([...line.entries.keys()].sort(), [recent.id, waiting.id].sort());
  });

  it('hands a job that must wait long to a new message, whose ticket the entry then names', async () => {
    const slow = job('slow', 'ann', 0);
    const { services, provider, line, queued, called } = deps([slow], [entryOf(slow)]);
    let now = start;
    const clock = { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };
    // The provider asks for a minute's wait, past what this invocation may still wait (maxInvocationMs).
    provider.generate = () => Promise.reject(APIError.generate(429, { message: 'busy' }, 'busy', new Headers({ 'retry-after': '60' })));
    await processJob(services, jobMessageFor(slow.id), { messageId: 'm-1', log: fakeLog(), ...clock, retryPolicy: { maxInvocationMs: 30_000 } });
    assert.equal(called.length, 0);
    const handedTo = queued.at(-1);
    assert.equal(handedTo?.jobId, slow.id);
    assert.equal(line.entries.get(slow.id)?.claimedBy, handedTo?.ticket, 'the new ticket holds the entry');
  });
});

describe('a poisoned ticket', () => {
  it('fails the job it had claimed, not the one its message names', async () => {
    const named = job('named', 'ann', 0);
    const claimed = job('claimed', 'ben', 1, { status: 'Running', attempts: 5, claim: { messageId: 'x', until: new Date(start).toISOString() } });
    const message = jobMessageFor(named.id);
    const { services, jobs } = deps([named, claimed], [entryOf(named), entryOf(claimed, { state: 'started', claimedBy: message.ticket ?? '', claimedUntil: Date.now() + 60_000 })]);
    await failPoisonedJob(services, message, fakeLog());
    assert.equal(jobs.records.get(claimed.id)?.status, 'Failed');
    assert.equal(jobs.records.get(named.id)?.status, 'NotStarted');
  });

  it('fails the job it names when it had claimed none and that job still waits', async () => {
    const named = job('named', 'ann', 0);
    const { services, jobs, queued } = deps([named], [entryOf(named)]);
    await failPoisonedJob(services, jobMessageFor(named.id), fakeLog());
    assert.equal(jobs.records.get(named.id)?.status, 'Failed');
    assert.deepEqual(queued, []);
  });

  it('sends a fresh ticket when the job it names is another ticket\'s and others wait', async () => {
    const named = job('named', 'ann', 0);
    const waiting = job('waiting', 'ben', 1);
    const { services, jobs, queued } = deps([named, waiting], [entryOf(named, { state: 'started', claimedBy: 'another', claimedUntil: Date.now() + 60_000 }), entryOf(waiting)]);
    await failPoisonedJob(services, jobMessageFor(named.id), fakeLog());
    assert.equal(jobs.records.get(named.id)?.status, 'NotStarted');
    assert.equal(jobs.records.get(waiting.id)?.status, 'NotStarted');
    assert.deepEqual(queued.map((item) => item.jobId), [named.id]);
  });
});
