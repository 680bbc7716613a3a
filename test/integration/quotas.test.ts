import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, tenantA, tenantB, tenantsSetting, type Stack } from '../../local/harness/stack';

/** Quotas in images and a submit rate, exact under concurrent submits and across restarts. */
describe('quotas and rate limits', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      hosts: 2,
      // Each student gets the default rate of their own (10 a minute); budgets well above the images' cost, so only a costly job meets them.
      env: { TENANTS: tenantsSetting({ imagesPerUserPerDay: 3, imagesPerDay: 8, imagesPerMonth: 100, submitsPerMinute: 30, usdPerUserPerDay: 0.5, usdPerDay: 5 }) },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  const submitVia = (hostIndex: number, body: unknown, key = tenantA.key) =>
    fetch(`${stack.hosts[hostIndex]!.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': key },
      body: JSON.stringify(body),
    });

  it("never lets concurrent submits on two instances pass a student's daily quota", async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => submitVia(i % 2, { prompt: `A kite ${i}`, user: 'student-1' })));
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429, 429, 429, 429, 429]);
    const refused = responses.find((r) => r.status === 429)!;
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'QuotaExceeded');
    assert.match(body.error.message, /student's daily image quota of 3/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 86_400, `Retry-After ${retryAfter}`);
  });

  it('counts per student and per school, and reports usage to the LMS', async () => {
    assert.equal((await submitVia(0, { prompt: 'A kite', user: 'student-2', n: 3 })).status, 202, 'another student has their own quota');
    // school-a has used 3 + 3 = 6 of 8 today: a job of 3 would pass it, a job of 2 fits.
    const tooMany = await submitVia(1, { prompt: 'A kite', user: 'student-3', n: 3 });
    assert.equal(tooMany.status, 429);
    assert.match(((await tooMany.json()) as { error: { message: string } }).error.message, /school's daily image quota of 8/);
    assert.equal((await submitVia(1, { prompt: 'A kite', user: 'student-3', n: 2 })).status, 202);

    const usage = await fetch(`${stack.url}/api/usage?user=student-1`, { headers: { 'api-key': tenantA.key } });
    assert.equal(usage.status, 200);
    const report = (await usage.json()) as { tenant: string; day: { used: number; limit: number }; month: { used: number }; user: { used: number; limit: number } };
    assert.equal(report.tenant, tenantA.id);
    assert.deepEqual([report.day.used, report.day.limit, report.month.used], [8, 8, 8]);
    assert.deepEqual([report.user.used, report.user.limit], [3, 3]);

    const other = (await (await fetch(`${stack.url}/api/usage`, { headers: { 'api-key': tenantB.key } })).json()) as { day: { used: number } };
    assert.equal(other.day.used, 0, "school-b's quota is its own");
  });

  it('keeps counting across a restart', async () => {
    await stack.hosts[0]!.kill();
    stack.hosts.shift();
    await stack.startHost();
    const host = stack.hosts.length - 1;
    const refused = await submitVia(host, { prompt: 'A kite', user: 'student-1' });
    assert.equal(refused.status, 429);
  });

  it('refuses an over-quota request without storing or queueing anything', async () => {
    const container = stack.blobService.getContainerClient('jobs');
    let before = 0;
    for await (const _ of container.listBlobsFlat()) before++;
    assert.equal((await submitVia(0, { prompt: 'A kite', user: 'student-9' })).status, 429);
    let afterCount = 0;
    for await (const _ of container.listBlobsFlat()) afterCount++;
    assert.equal(afterCount, before);
  });

  it("keeps one student's refused prompts from locking the school out, and stops them hammering the classifier", async () => {
    // School B (school A's images for today are used up above). Issue 21: 70 refused prompts from one studio
    // session took all of the school's submits for the minute, and the LMS's next submit got 429.
    const opened = await fetch(`${stack.url}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': tenantB.key },
      body: JSON.stringify({ user: 'student-b1' }),
    });
    assert.equal(opened.status, 201);
    const token = new URLSearchParams(new URL(String(((await opened.json()) as { studioUrl: string }).studioUrl)).hash.slice(1)).get('session') ?? '';
    const classifierCallsBefore = stack.contentSafety.calls().length;
    const codes: string[] = [];
    for (let i = 0; i < 40; i++) {
      const answer = await fetch(`${stack.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ prompt: 'a knight stabbing a dragon' }),
      });
      const body = (await answer.json()) as { error: { code: string } };
      codes.push(`${answer.status} ${body.error.code}`);
      if (answer.status === 429) assert.ok(Number(answer.headers.get('retry-after')) <= 60);
    }
    const blocked = codes.filter((code) => code === '400 PromptBlocked').length;
    const limited = codes.filter((code) => code === '429 RateLimited').length;
    assert.equal(blocked + limited, 40, codes.join(', '));
    // 10 a minute for the student: at most two minutes' worth even if the loop crossed a minute boundary.
    assert.ok(blocked <= 20, `${blocked} of 40 reached the classifier`);
    // Only the submits within the student's rate were classified (two calls each: analyze and Prompt Shields).
    assert.ok(stack.contentSafety.calls().length - classifierCallsBefore <= 2 * blocked);
    // None of them took the school's submits: the LMS's next submit for another student is accepted.
    const next = await submitVia(0, { prompt: 'A kite', user: 'student-b2' }, tenantB.key);
    assert.equal(next.status, 202, JSON.stringify(await next.json()));
  });

  it("refuses a job whose estimated cost would pass the student's or the school's money budget, and counts it for the LMS", async () => {
    // Issue 21's picture: about $0.99 (3840x2160, high), against a budget of $0.50 a student a day.
    const costly = await submitVia(0, { prompt: 'A kite', user: 'student-b3', n: 1, size: '3840x2160', quality: 'high' }, tenantB.key);
    assert.equal(costly.status, 429);
    assert.ok(Number(costly.headers.get('retry-after')) >= 1);
    const refused = (await costly.json()) as { error: { code: string; message: string } };
    assert.equal(refused.error.code, 'QuotaExceeded');
    assert.match(refused.error.message, /^This job \(estimated \$0\.99\) would pass this student's daily budget of \$0\.50 \(\$0\.00 reserved so far\)/);
    // Without a student, the school's day ($5) still holds it: 2 of these ($1.97 each) fit, a third does not.
    const big = { prompt: 'A kite', n: 2, size: '3840x2160', quality: 'high' };
    assert.equal((await submitVia(0, big, tenantB.key)).status, 202);
    assert.equal((await submitVia(0, big, tenantB.key)).status, 202);
    const third = await submitVia(0, big, tenantB.key);
    assert.equal(third.status, 429);
    assert.match(((await third.json()) as { error: { message: string } }).error.message, /the school's daily budget of \$5\.00/);
    // The studio's own picture still fits the student's budget; usage shows what is reserved.
    assert.equal((await submitVia(0, { prompt: 'A kite', user: 'student-b3' }, tenantB.key)).status, 202);
    const usage = (await (await fetch(`${stack.url}/api/usage?user=student-b3`, { headers: { 'api-key': tenantB.key } })).json()) as {
      day: { budget: { reserved: number; limit: number } };
      user: { budget: { reserved: number; limit: number } };
    };
    assert.deepEqual(usage.user.budget, { currency: 'USD', reserved: 0.03768, limit: 0.5 });
    assert.equal(usage.day.budget.limit, 5);
    assert.ok(usage.day.budget.reserved > 3.9 && usage.day.budget.reserved <= 5, String(usage.day.budget.reserved));
  });

  it('brakes a runaway client at its submits per minute', async () => {
    // 70 submits at 30 a minute: even across a minute boundary one window sees more than 30.
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await submitVia(i % 2, { prompt: 'a kite', temperature: 1 }, tenantB.key)).status);
    const limited = statuses.filter((s) => s === 429).length;
    assert.ok(limited >= 10, `${limited} of 70 were rate limited`);
    assert.ok(statuses.every((s) => s === 400 || s === 429), 'refused as invalid or as too fast, never accepted');
    const last = await submitVia(0, { prompt: 'a kite' }, tenantB.key);
    if (last.status === 429) {
      const body = (await last.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'RateLimited');
      assert.ok(Number(last.headers.get('retry-after')) <= 60);
    }
  });
});
