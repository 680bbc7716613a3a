import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, tenantB, type Stack } from '../../local/harness/stack';

/**
 * Turns across two hosts sharing one queue, with calls paced to one a second and a model that takes a
 * second: whichever host a message reaches, the fairest waiting job gets the next call.
 */
describe('turns: the fair order across instances', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ hosts: 2, imageService: { latencyMs: 1000 }, env: { IMAGE_REQUESTS_PER_MINUTE: '60' } });
  });
  after(async () => {
    await stack?.stop();
  });

  /** The order in which the image service received the calls of this run, as the jobs' names. */
  const callOrder = (run: string) =>
    stack.imageService
      .calls()
      .filter((call) => call.prompt.includes(run))
      .map((call) => ({ name: /job (\S+) of/.exec(call.prompt)?.[1] ?? '?', at: Date.parse(call.receivedAt) }));

  /** Submits a job; its id, and the place in line its 202 showed. */
  async function submitWithPlace(run: string, name: string, user: string | undefined, headers?: Record<string, string>): Promise<{ id: string; position?: number }> {
    const response = await stack.submit({ prompt: `A garden, job ${name} of ${run}`, ...(user ? { user } : {}) }, headers);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    return { id: String(response.body.id), ...((response.body.queue as { position?: number } | undefined)?.position !== undefined ? { position: (response.body.queue as { position: number }).position } : {}) };
  }
  const submit = async (run: string, name: string, user: string | undefined) => (await submitWithPlace(run, name, user)).id;

  it("starts every student's first picture before anyone's second, though each pressed three times in a row", async () => {
    const run = `class-${Date.now()}`;
    const ids: string[] = [];
    for (let student = 1; student <= 5; student++) {
      for (let press = 1; press <= 3; press++) ids.push(await submit(run, `s${student}p${press}`, `student-${student}`));
    }
    const allSubmittedAt = Date.now();
    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id, 90_000)));
    assert.deepEqual(
      jobs.map((job) => job.status),
      jobs.map(() => 'Succeeded'),
    );
    const calls = callOrder(run);
    assert.equal(calls.length, 15, JSON.stringify(calls));
    const startOf = (name: string) => calls.find((call) => call.name === name)?.at ?? Infinity;
    // Once every press was in, a student's second (or third) call never comes before a classmate's first (or second).
    for (let press = 2; press <= 3; press++) {
      for (let student = 1; student <= 5; student++) {
        const later = startOf(`s${student}p${press}`);
        if (later < allSubmittedAt) continue;
        for (let classmate = 1; classmate <= 5; classmate++) {
          if (classmate === student) continue;
          const earlier = startOf(`s${classmate}p${press - 1}`);
          assert.ok(earlier <= later, `s${classmate}p${press - 1} started after s${student}p${press}: ${calls.map((call) => call.name).join(' ')}`);
        }
      }
    }
  });

  it('shows a second press behind the first pictures to come of the classmates who opened the studio, and keeps to it', async () => {
    const run = `present-${Date.now()}`;
    const users = [1, 2, 3, 4].map((i) => `${run}-s${i}`);
    // The LMS opens the studio for each student of the group (POST /api/sessions): they are about to press.
    for (const user of users) {
      const opened = await stack.openSession({ user });
      assert.equal(opened.status, 201, JSON.stringify(opened.body));
    }
    const [first, ...classmates] = users;
    const own = [await submitWithPlace(run, 'p1', first), await submitWithPlace(run, 'p2', first)];
    // The first press is next (or running); the second waits for the three classmates' first pictures to come.
    const shown = own[1]?.position;
    assert.ok(shown !== undefined && shown >= 4 && shown <= 5, `the second press was shown place ${shown}`);
    const others = [];
    for (const [i, user] of classmates.entries()) others.push(await submitWithPlace(run, `c${i + 1}`, user));
    const jobs = await Promise.all([...own, ...others].map((job) => stack.waitForJob(job.id, 90_000)));
    assert.deepEqual(jobs.map((job) => job.status), jobs.map(() => 'Succeeded'));
    // And so it went: the second press started after every classmate's first.
    const calls = callOrder(run);
    const secondAt = calls.find((call) => call.name === 'p2')?.at ?? 0;
    for (const name of ['c1', 'c2', 'c3']) assert.ok((calls.find((call) => call.name === name)?.at ?? Infinity) <= secondAt, calls.map((call) => call.name).join(' '));
  });

  it("starts another school's job within the next two calls, behind a school's long queue", async () => {
    const run = `schools-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 1; i <= 12; i++) ids.push(await submit(run, `a${i}`, `pupil-${1 + (i % 4)}`));
    // Let the queue get going, so the other school arrives at a busy service.
    while (callOrder(run).length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    const arrivedAt = Date.now();
    const { id: other, position } = await submitWithPlace(run, 'b1', 'pupil-of-b', { 'api-key': tenantB.key });
    // The place it is shown follows the turns, not the ten jobs that arrived before it.
    assert.ok(position !== undefined && position <= 2, `school B's job was shown place ${position}`);
    // waitForJob reads as school A; school B's job is read with its own key.
    let status: unknown;
    for (let i = 0; i < 600 && status !== 'Succeeded'; i++) {
      status = (await stack.getJob(other, { 'api-key': tenantB.key })).body.status;
      if (status !== 'Succeeded') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 'Succeeded');
    const afterArrival = callOrder(run).filter((call) => call.at >= arrivedAt);
    const place = afterArrival.findIndex((call) => call.name === 'b1') + 1;
    assert.ok(place >= 1 && place <= 2, `school B's job was call ${place} after it arrived: ${afterArrival.map((call) => call.name).join(' ')}`);
    await Promise.all(ids.map((id) => stack.waitForJob(id, 90_000)));
  });

  it('ends every job once when a host is killed in the middle of a burst', async () => {
    const run = `kill-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 1; i <= 12; i++) ids.push(await submit(run, `k${i}`, `kid-${1 + (i % 3)}`));
    while (callOrder(run).length < 3) await new Promise((resolve) => setTimeout(resolve, 100));
    await stack.hosts[0]!.kill('SIGKILL');
    stack.hosts.shift();
    await stack.startHost();
    const jobs = await Promise.all(ids.map((id) => stack.waitForJob(id, 120_000)));
    assert.deepEqual(
      jobs.map((job) => [job.status, job.result?.images?.length]),
      jobs.map(() => ['Succeeded', 1]),
    );
    // A call the killed host had in flight is made again after its message's lease; nothing else is.
    const calls = callOrder(run);
    const perJob = new Map<string, number>();
    for (const call of calls) perJob.set(call.name, (perJob.get(call.name) ?? 0) + 1);
    assert.equal(perJob.size, 12);
    assert.ok(calls.length <= 12 + 3, `calls: ${calls.map((call) => call.name).join(' ')}`);
    // The line keeps each job's end: nothing in it still waits.
    const line = stack.hosts.map((host) => host.logs()).join('\n');
    assert.doesNotMatch(line, /no job after \d+ tries/);
  });
});
