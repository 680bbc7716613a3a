import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForbiddenError, UnauthorizedError } from '../../../shared/errors';
import { callerForJob } from '../../../shared/access/callers';
import { createStatusTokens } from '../../../shared/access/statusTokens';
import { createSession, listSessionJobs, requireSession, sessionJobBody } from '../../../shared/sessions/sessions';
import { createSessionTokens } from '../../../shared/sessions/sessionTokens';
import type { JobIndex } from '../../../shared/storage/jobIndex';
import { fakeConfig, fakeJob, fakeJobStore, fakeTenant } from '../../helpers/fakes';

const config = fakeConfig();
const sessionTokens = createSessionTokens(['a-status-token-secret-of-32-characters+']);
// Now, not a fixed time: callerForJob reads the token at the real time, as a request does.
const now = new Date();
const tenant = fakeTenant();

function open(minutes = 60) {
  const resource = createSession({ sessionTokens }, tenant, { user: 'student-7', metadata: { classId: '5b' }, lifetimeMinutes: minutes }, (token) => `https://studio.example/#${token}`, now);
  const token = new URL(resource.studioUrl).hash.slice(1);
  return { resource, token };
}

describe('studio sessions (in process, plain-object dependencies)', () => {
  it('reads a token back into its session and school, until it expires', () => {
    const { resource, token } = open(60);
    const { session, tenant: found } = requireSession({ config, sessionTokens }, token, now);
    assert.equal(session.id, resource.id);
    assert.equal(session.user, 'student-7');
    assert.equal(found.id, 'school-a');
    assert.throws(() => requireSession({ config, sessionTokens }, token, new Date(now.getTime() + 61 * 60_000)), (error: unknown) => error instanceof UnauthorizedError && error.code === 'SessionExpired');
  });

  it('loses its sessions with its school (a tenant removed from TENANTS)', () => {
    const { token } = open();
    assert.throws(() => requireSession({ config: { tenants: [] }, sessionTokens }, token, now), (error: unknown) => error instanceof UnauthorizedError && error.code === 'SessionInvalid');
  });

  it('fixes the student and metadata of what a session submits, and refuses what the studio does not offer', () => {
    const { token } = open();
    const { session } = requireSession({ config, sessionTokens }, token, now);
    assert.deepEqual(sessionJobBody(session, { prompt: 'a cat' }), { prompt: 'a cat', user: 'student-7', metadata: { classId: '5b' } });
    assert.throws(() => sessionJobBody(session, { prompt: 'a cat', user: 'student-8' }), ForbiddenError);
    assert.throws(() => sessionJobBody(session, { prompt: 'a cat', size: '1536x1024' }), ForbiddenError);
  });

  it('lets a session see only the jobs it made', async () => {
    const { token } = open();
    const { session } = requireSession({ config, sessionTokens }, token, now);
    const own = fakeJob({ sessionId: session.id });
    const other = fakeJob({ sessionId: 'another-session' });
    const jobs = fakeJobStore([own, other]);
    // The index may be behind or wrong; the records decide.
    const jobIndex: Pick<JobIndex, 'list'> = { list: () => Promise.resolve({ entries: [own, other].map((job) => ({ id: job.id, status: job.status, createdDateTime: job.createdDateTime })) }) };
    const page = await listSessionJobs({ jobIndex, jobs, ensureStorage: () => Promise.resolve() }, session);
    assert.deepEqual(page.jobs.map((job) => job.id), [own.id]);

    const services = { config, sessionTokens, statusTokens: createStatusTokens(['a-status-token-secret-of-32-characters+'], 60) };
    assert.deepEqual(callerForJob(services, own.id, null, null, `Bearer ${token}`), { kind: 'session', session });
  });
});
