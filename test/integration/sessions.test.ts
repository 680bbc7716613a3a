import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { tenantA, type JsonObject } from '../../local/harness/stack';
import { startSessionStack, type SessionStack } from '../helpers/sessionStack';

/**
 * Studio sessions: what an LMS opens for one student, and what the student may ask for through it: their own
 * jobs, with the session's metadata, within their quota, with Idempotency-Keys of their own. What a session
 * token may not do is in sessionLimits.test.ts.
 */
describe('studio sessions', () => {
  let sessions: SessionStack;
  before(async () => {
    sessions = await startSessionStack();
  });
  after(async () => {
    await sessions?.stop();
  });

  it('opens a session for a student with the school key, and checks the request', async () => {
    const { api, openSession } = sessions;
    const { body } = await openSession({ user: 'student-1', metadata: { classId: '7b', assignmentId: 'kites' }, locale: 'nl' });
    assert.equal(body['user'], 'student-1');
    assert.deepEqual(body['metadata'], { classId: '7b', assignmentId: 'kites' });
    assert.equal(body['locale'], 'nl');
    const lifetime = Date.parse(String(body['expiresDateTime'])) - Date.now();
    assert.ok(lifetime > 115 * 60_000 && lifetime <= 120 * 60_000, `default lifetime 2 hours, got ${lifetime} ms`);

    assert.equal((await api('POST', '/api/sessions', { body: { user: 'student-1' } })).status, 401, 'no key');
    const cases: Array<[unknown, number, string, string]> = [
      [{}, 400, 'MissingField', 'user'],
      [{ user: 'pupil@example.org' }, 400, 'InvalidField', 'user'],
      [{ user: 'student-1', lifetimeMinutes: 481 }, 400, 'InvalidField', 'lifetimeMinutes'],
      [{ user: 'student-1', lifetimeMinutes: 4 }, 400, 'InvalidField', 'lifetimeMinutes'],
      [{ user: 'student-1', locale: 'de' }, 400, 'InvalidField', 'locale'],
      [{ user: 'student-1', metadata: { classId: 7 } }, 400, 'InvalidField', 'metadata.classId'],
      [{ user: 'student-1', role: 'teacher' }, 400, 'UnknownField', 'role'],
    ];
    for (const [request, status, code, target] of cases) {
      const answer = await api('POST', '/api/sessions', { key: tenantA.key, body: request });
      assert.equal(answer.status, status, JSON.stringify(request));
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], [code, target], JSON.stringify(request));
    }
  });

  it('submits for its own student with the session\'s metadata, and reads and lists only this session\'s jobs', async () => {
    const { stack, api, openSession } = sessions;
    const { token } = await openSession({ user: 'student-2', metadata: { classId: '7b' } });
    const info = await api('GET', '/api/sessions/current', { token });
    assert.equal(info.status, 200);
    assert.equal(info.body['placeholderPictures'], true, 'the stack draws with the local image service');
    assert.equal(typeof info.body['maxImagesPerJob'], 'number');

    const submitted = await api('POST', '/api/jobs', { token, body: { prompt: 'A red kite', n: 1 } });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = String(submitted.body.id);
    assert.equal(submitted.body['statusUrl'], undefined, 'a session has no use for status URLs');
    assert.equal((submitted.body['request'] as Record<string, unknown>)['user'], undefined, 'the page sees the job, not the LMS\'s bookkeeping');

    const asLms = await stack.waitForJob(id);
    assert.equal(asLms.status, 'Succeeded');
    const request = (await stack.getJob(id)).body['request'] as Record<string, unknown>;
    assert.equal(request['user'], 'student-2');
    assert.deepEqual(request['metadata'], { classId: '7b' });

    const read = await api('GET', `/api/jobs/${id}`, { token });
    assert.equal(read.status, 200);
    assert.equal(read.body.result?.images?.length, 1);

    // The same student's job made by the LMS, and one from another session of the same student: not this session's.
    const byLms = await stack.submit({ prompt: 'A blue kite', user: 'student-2' });
    const other = await openSession({ user: 'student-2', metadata: { classId: '7b' } });
    const otherJob = await api('POST', '/api/jobs', { token: other.token, body: { prompt: 'A green kite' } });
    for (const foreign of [String(byLms.body.id), String(otherJob.body.id)]) {
      const answer = await api('GET', `/api/jobs/${foreign}`, { token });
      assert.equal(answer.status, 404, 'answered as if it did not exist');
      assert.equal(answer.body.error?.code, 'NotFound');
    }
    const listed = await api('GET', '/api/sessions/current/jobs', { token });
    assert.equal(listed.status, 200);
    const value = listed.body['value'] as JsonObject[];
    assert.deepEqual(value.map((job) => job.id), [id]);
    assert.equal(value[0]?.result?.images?.length, 1);
  });

  it('keeps the LMS\'s Idempotency-Keys apart from a session\'s, in both directions', async () => {
    const { stack, api, openSession } = sessions;
    const { token, body } = await openSession({ user: 'student-idem' });
    const sessionId = String(body['id']);
    // The same request from both: the session adds its student, the LMS names them.
    const fromSession = async (key: string) => {
      const response = await fetch(`${stack.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'Idempotency-Key': key },
        body: JSON.stringify({ prompt: 'A kite over the dunes' }),
      });
      return { status: response.status, body: (await response.json()) as JsonObject };
    };
    const fromLms = (key: string) => stack.submit({ prompt: 'A kite over the dunes', user: 'student-idem' }, { 'Idempotency-Key': key });
    const idOf = (answer: { status: number; body: JsonObject }) => {
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      return String(answer.body.id);
    };

    // The LMS first, with a key that spells the session's: the session's own key makes its own job.
    const lmsFirst = idOf(await fromLms(`session:${sessionId}:k1`));
    const sessionSecond = idOf(await fromSession('k1'));
    assert.notEqual(sessionSecond, lmsFirst, 'the session\'s k1 is not the LMS\'s session:<id>:k1');
    assert.equal((await api('GET', `/api/jobs/${sessionSecond}`, { token })).status, 200, 'and the session can read it');
    // The session first: the LMS's look-alike key makes its own job.
    const sessionFirst = idOf(await fromSession('k2'));
    const lmsSecond = idOf(await fromLms(`session:${sessionId}:k2`));
    assert.notEqual(lmsSecond, sessionFirst, 'the LMS\'s session:<id>:k2 is not the session\'s k2');
    // Each caller's retries still answer with its own job.
    assert.equal(idOf(await fromSession('k1')), sessionSecond);
    assert.equal(idOf(await fromSession('k2')), sessionFirst);
    assert.equal(idOf(await fromLms(`session:${sessionId}:k1`)), lmsFirst);
    assert.equal(idOf(await fromLms(`session:${sessionId}:k2`)), lmsSecond);
  });

  it("refuses a body that names another student or other metadata, or asks for what only the LMS may", async () => {
    const { api, openSession } = sessions;
    const { token } = await openSession({ user: 'student-3', metadata: { classId: '7b' } });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ prompt: 'A kite', user: 'student-4' }, 'SessionFieldFixed', 'user'],
      [{ prompt: 'A kite', metadata: { classId: '8a' } }, 'SessionFieldFixed', 'metadata'],
      [{ prompt: 'A kite', callbackUrl: 'https://example.org/hook' }, 'NotAllowedInSession', 'callbackUrl'],
      [{ prompt: 'A kite', kind: 'variation', image: { jobId: randomUUID(), index: 0 } }, 'NotAllowedInSession', 'kind'],
    ];
    for (const [body, code, target] of cases) {
      const answer = await api('POST', '/api/jobs', { token, body });
      assert.equal(answer.status, 403, JSON.stringify(body));
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], [code, target]);
    }
    // Naming the session's own student and metadata is fine.
    const same = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', user: 'student-3', metadata: { classId: '7b' } } });
    assert.equal(same.status, 202, JSON.stringify(same.body));
  });

  it('asks only for what the studio offers, as the page learns it from the session', async () => {
    const { api, openSession } = sessions;
    const { token } = await openSession({ user: 'student-10' });
    const info = await api('GET', '/api/sessions/current', { token });
    assert.deepEqual(info.body['orientations'], ['square', 'landscape', 'portrait']);
    const maxImagesPerJob = Number(info.body['maxImagesPerJob']);
    // Issue 21: this was accepted, at about $0.99 a picture against $0.04 for the studio's own.
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ prompt: 'A kite', n: 4, size: '3840x2160', quality: 'high' }, 403, 'NotAllowedInSession', 'size'],
      [{ prompt: 'A kite', quality: 'high' }, 403, 'NotAllowedInSession', 'quality'],
      [{ prompt: 'A kite', aspectRatio: '16:9' }, 403, 'NotAllowedInSession', 'aspectRatio'],
      [{ prompt: 'A kite', outputFormat: 'jpeg' }, 403, 'NotAllowedInSession', 'outputFormat'],
      [{ prompt: 'A kite', orientation: 'diagonal' }, 400, 'InvalidField', 'orientation'],
      [{ prompt: 'A kite', n: maxImagesPerJob + 1 }, 400, 'InvalidField', 'n'],
    ];
    for (const [body, status, code, target] of cases) {
      const answer = await api('POST', '/api/jobs', { token, body });
      assert.equal(answer.status, status, JSON.stringify(body));
      assert.deepEqual([answer.body.error?.code, answer.body.error?.target], [code, target], JSON.stringify(body));
      if (status === 403) assert.match(String(answer.body.error?.message), /not offered in the studio: a studio session sends prompt, orientation \(square, landscape, portrait\) and n/);
    }
    const offered = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', orientation: 'landscape', n: 2 } });
    assert.equal(offered.status, 202, JSON.stringify(offered.body));
    assert.equal((offered.body['request'] as Record<string, unknown>)['size'], '1536x864', "the shape's own size");
  });

  it("counts against the student's quota, together with the LMS's own jobs for them", async () => {
    const { stack, api, openSession } = sessions;
    const { token } = await openSession({ user: 'student-5' });
    assert.equal((await stack.submit({ prompt: 'A kite', user: 'student-5', n: 2 })).status, 202);
    assert.equal((await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', n: 2 } })).status, 202);
    const over = await api('POST', '/api/jobs', { token, body: { prompt: 'A kite', n: 1 } });
    assert.equal(over.status, 429);
    assert.equal(over.body.error?.code, 'QuotaExceeded');
    // Another student's session is not affected.
    const { token: other } = await openSession({ user: 'student-6' });
    assert.equal((await api('POST', '/api/jobs', { token: other, body: { prompt: 'A kite' } })).status, 202);
  });
});
