import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStatusTokens } from '../../../shared/access/statusTokens';
import type { JobRecord } from '../../../shared/jobs/job';
import { getModel } from '../../../shared/models/modelCatalogue';
import { renderJob, retryAfterSeconds, type ViewDeps } from '../../../shared/views/jobView';
import { fakeConfig, fakeImageStore, fakeJob, fakeTenant } from '../../helpers/fakes';

const now = new Date('2026-12-01T08:00:00.000Z');
const jobUrl = 'https://jobs.example/api/jobs/1';
const statusTokens = createStatusTokens(['a-status-token-secret-of-32-characters+'], 60);

/** ViewDeps as plain objects: links name their blob, the line puts every job third, a call every 10 s. */
function deps(): ViewDeps {
  return {
    config: fakeConfig(),
    profile: getModel('gpt-image-2'),
    statusTokens,
    linePositions: { position: () => Promise.resolve(3) },
    pacer: { secondsPerCall: 10 },
    links: { origin: 'https://blob.example', linkFor: (container, blob, _expiresOn, options) => Promise.resolve(`https://blob.example/${container}/${blob}${options?.downloadAs ? `?download=${options.downloadAs}` : ''}`), uploadLinkFor: () => Promise.resolve('') },
    images: fakeImageStore(),
  };
}

const succeeded = (job: JobRecord): JobRecord => ({
  ...job,
  status: 'Succeeded',
  images: [{ index: 0, blobName: `${job.id}/0.png`, width: 1024, height: 1024, format: 'png', contentType: 'image/png', thumbnail: { blobName: `${job.id}.thumbs/0.webp`, width: 256, height: 256 } }],
  usage: { textInputTokens: 50, imageInputTokens: 0, outputTokens: 1000, estimatedCostUsd: 0.04 },
});

describe('renderJob (in process, plain-object dependencies)', () => {
  it('shows its tenant everything: the request with student and metadata, a status URL that works, the usage', async () => {
    const job = succeeded(fakeJob());
    const view = await renderJob(deps(), job, { caller: { kind: 'tenant', tenant: fakeTenant() }, jobUrl, now });
    assert.equal(view.request.user, 'student-7');
    assert.deepEqual(view.request.metadata, { classId: '5b' });
    assert.equal(view.usage?.estimatedCostUsd, 0.04);
    const token = new URL(view.statusUrl ?? '').searchParams.get('token') ?? '';
    assert.equal(statusTokens.check(job.id, token, now), 'valid');
    assert.deepEqual(view.result?.images.map((image) => [image.url, image.downloadUrl, image.thumbnail?.url]), [
      [`https://blob.example/images/${job.id}/0.png`, `https://blob.example/images/${job.id}/0.png?download=picture-1.png`, `https://blob.example/images/${job.id}.thumbs/0.webp`],
    ]);
  });

  it('shows a status URL\'s holder the picture, not the student, the metadata, the usage or another status URL', async () => {
    const job = succeeded(fakeJob());
    const view = await renderJob(deps(), job, { caller: { kind: 'statusToken', jobId: job.id }, jobUrl, now });
    assert.equal(view.request.user, undefined);
    assert.equal(view.request.metadata, undefined);
    assert.equal(view.usage, undefined);
    assert.equal(view.statusUrl, undefined);
    assert.equal(view.result?.images.length, 1);
  });

  it('estimates a waiting job\'s start from its place in line and the pace of calls', async () => {
    const job = fakeJob();
    const view = await renderJob(deps(), job, { caller: { kind: 'tenant', tenant: fakeTenant() }, jobUrl, now });
    // Two calls ahead at 10 s each, and half a spacing until the next slot opens.
    assert.deepEqual(view.queue, { position: 3, estimatedStartDateTime: '2026-12-01T08:00:25.000Z' });
    assert.equal(retryAfterSeconds(view, 2, now), 9, 'a third of the wait, rounded up');
  });

  it('says why a job failed', async () => {
    const job: JobRecord = { ...fakeJob(), status: 'Failed', error: { code: 'ContentFiltered', message: 'blocked' } };
    const view = await renderJob(deps(), job, { caller: { kind: 'tenant', tenant: fakeTenant() }, jobUrl, now });
    assert.deepEqual(view.error, { code: 'ContentFiltered', message: 'blocked' });
    assert.equal(view.result, undefined);
  });
});
