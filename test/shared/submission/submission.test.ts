import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Held, QuotaAmount } from '../../../shared/access/quotas';
import type { IdempotencyRecord } from '../../../shared/access/idempotency';
import { BadRequestError, ConflictError } from '../../../shared/errors';
import { createJobRequestParser } from '../../../shared/jobs/jobRequestParser';
import { getModel } from '../../../shared/models/modelCatalogue';
import { loadMetaprompt } from '../../../shared/safety/metaprompt';
import type { SafetyEvent } from '../../../shared/storage/safetyEventStore';
import { parseJobMessage } from '../../../shared/storage/jobMessage';
import { submitJob, type SubmitDeps } from '../../../shared/submission/submission';
import { fakeConfig, fakeImageStore, fakeJobStore, fakeLineStore, fakeLog, fakeTenant } from '../../helpers/fakes';

const config = fakeConfig();
const profile = getModel('gpt-image-2');
const tenant = fakeTenant();

/** SubmitDeps as plain objects: each records what submitJob asked of it. */
function deps(options: { blockedWord?: string } = {}) {
  const jobs = fakeJobStore();
  const line = fakeLineStore();
  const reserved: QuotaAmount[] = [];
  const released: string[] = [];
  const refusals: SafetyEvent[] = [];
  const keys = new Map<string, IdempotencyRecord>();
  const held = (what: string): Held => ({ release: () => Promise.resolve(void released.push(what)) });
  const services: SubmitDeps = {
    config,
    profile,
    metaprompt: loadMetaprompt(),
    requestParser: createJobRequestParser(profile, 'azure-openai', { promptMaxChars: 1000, maxImagesPerJob: 4, maxEditImages: 4 }),
    promptScreenFor: () => ({
      screen: (prompt) => (options.blockedWord && prompt.includes(options.blockedWord) ? { blocked: true, matchedTerms: [options.blockedWord] } : { blocked: false, matchedTerms: [] }),
    }),
    bullyingGuard: { check: () => ({ refused: false, references: [], descriptors: [] }) },
    contentSafety: undefined,
    safetyEvents: {
      record: (event) => Promise.resolve({ ...event, id: '6f1c1d9e-3a55-4a43-9c56-3f4b2a1d0e7f', createdDateTime: '2026-12-01T08:00:00.000Z', urgent: event.urgent ?? false, repeated: false }),
    },
    refusalReports: { refused: (event) => Promise.resolve(void refusals.push(event)), urgent: (event) => Promise.resolve(void refusals.push(event)) },
    quotas: {
      countSubmit: () => Promise.resolve(held('school submit')),
      countUserSubmit: () => Promise.resolve(),
      reserve: (_tenant, _user, amount) => {
        reserved.push(amount);
        return Promise.resolve(held('reservation'));
      },
    },
    idempotency: {
      claim: (tenantId, _scope, key, requestHash, jobId) => {
        const found = keys.get(`${tenantId}/${key}`);
        if (found) return Promise.resolve({ ...found, fresh: false });
        keys.set(`${tenantId}/${key}`, { jobId, requestHash, fresh: true });
        return Promise.resolve({ jobId, requestHash, fresh: true });
      },
      isErased: () => Promise.resolve(false),
    },
    jobs,
    line,
    linePositions: { noteAdded: () => undefined },
    pseudonyms: { studentKey: (tenantId, user) => `key-${tenantId}-${user}` },
    uploads: fakeUploads(),
    images: fakeImageStore(),
    ensureStorage: () => Promise.resolve(),
  };
  return { services, jobs, reserved, released, refusals, line };
}

function fakeUploads(): SubmitDeps['uploads'] {
  const none = () => Promise.reject(new Error('no uploads in these tests'));
  return { containerName: 'uploads', blobName: (tenantId, id) => `${tenantId}/${id}`, describe: none, claim: none, read: none };
}

const body = (fields: Record<string, unknown> = {}) => () => Promise.resolve({ prompt: 'a lighthouse at dawn', user: 'student-7', ...fields });

describe('submitJob (in process, plain-object dependencies)', () => {
  it('stores a NotStarted job with its estimate, puts it in line, reserves its quota and hands back its queue message', async () => {
    const { services, jobs, reserved, line } = deps();
    const { job, message } = await submitJob(services, tenant, { readBody: body({ n: 2 }), log: fakeLog() });
    assert.equal(job.status, 'NotStarted');
    const entry = line.entries.get(job.id);
    assert.deepEqual(entry && [entry.tenantId, entry.student, entry.state, entry.acceptedAt], [tenant.id, `key-${tenant.id}-student-7`, 'waiting', Date.parse(job.createdDateTime)], 'in line under the student\'s pseudonym');
    assert.equal(job.metapromptVersion, 'child-safe-v1');
    assert.deepEqual(jobs.records.get(job.id), job);
    assert.equal(reserved.length, 1);
    assert.equal(reserved[0]?.images, 2);
    assert.ok((job.reservedCostUsd ?? 0) > 0, 'the estimate is reserved against the money budgets');
    assert.equal(parseJobMessage(message)?.jobId, job.id);
  });

  it('refuses a prompt the screen blocks: a 400, a safety event reported, no job and no quota taken', async () => {
    const { services, jobs, reserved, refusals } = deps({ blockedWord: 'forbidden' });
    await assert.rejects(
      submitJob(services, tenant, { readBody: body({ prompt: 'a forbidden thing' }), log: fakeLog() }),
      (error: unknown) => error instanceof BadRequestError && error.code === 'PromptBlocked',
    );
    assert.equal(jobs.records.size, 0);
    assert.equal(reserved.length, 0);
    assert.deepEqual(refusals.map((event) => [event.layer, event.categories]), [['screen', ['blockedTerms']]]);
  });

  it('answers a retried Idempotency-Key with the same job, its message sent again while it has not started', async () => {
    const { services, jobs } = deps();
    const first = await submitJob(services, tenant, { readBody: body(), idempotencyKey: 'key-1', log: fakeLog() });
    const again = await submitJob(services, tenant, { readBody: body(), idempotencyKey: 'key-1', log: fakeLog() });
    assert.equal(again.job.id, first.job.id);
    assert.equal(parseJobMessage(again.message)?.jobId, first.job.id);
    assert.equal(jobs.records.size, 1);
    await assert.rejects(submitJob(services, tenant, { readBody: body({ prompt: 'another picture' }), idempotencyKey: 'key-1', log: fakeLog() }), ConflictError);
  });

  it('gives the reservation back when the job cannot be stored', async () => {
    const { services, released } = deps();
    const failing: SubmitDeps = { ...services, jobs: { ...services.jobs, create: () => Promise.reject(new Error('storage is down')) } };
    await assert.rejects(submitJob(failing, tenant, { readBody: body(), log: fakeLog() }), (error: unknown) => error instanceof Error && error.name === 'ServiceUnavailableError');
    assert.ok(released.includes('reservation'));
  });
});
