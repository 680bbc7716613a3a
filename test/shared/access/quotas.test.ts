import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from '../../../local/azurite/azurite';
import { createPseudonyms } from '../../../shared/access/pseudonyms';
import { createQuotas, type Quotas } from '../../../shared/access/quotas';
import { hashApiKey, parseTenants, type Tenant } from '../../../shared/config/tenants';
import { RateLimitError } from '../../../shared/errors';
import { createCounterStore } from '../../../shared/storage/counterStore';

/**
 * Submit rates and money budgets, on a fixed clock, against a real Azurite: the student's rate of their
 * own, a school slot given back into the minute it came from, and budgets reserved, refused, released and
 * refunded in micro-dollars.
 */
describe('quotas: submit rates and money budgets', () => {
  let azurite: Azurite;
  let container: ContainerClient;
  let quotas: Quotas;
  const now = new Date('2026-12-07T10:15:30Z');
  const tenantWith = (id: string, settings: Record<string, unknown>): Tenant => {
    const [tenant] = parseTenants(JSON.stringify([{ id, apiKeyHashes: [hashApiKey(`key-${id}`)], quotas: settings }]));
    assert.ok(tenant);
    return tenant;
  };
  const refusal = (code: string, message: RegExp) => (error: unknown) =>
    error instanceof RateLimitError && error.code === code && message.test(error.message) && (error.retryAfterInSeconds ?? 0) >= 1;

  before(async () => {
    azurite = await startAzurite({ quiet: true });
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('usage');
    await container.createIfNotExists();
    quotas = createQuotas(createCounterStore(container), createPseudonyms('quota-test-secret-0123456789abcdef0123'));
  });
  after(async () => {
    await azurite?.stop();
  });

  it("counts a student's submits on their own, and gives a school slot back into its own minute", async () => {
    const school = tenantWith('rates', { submitsPerMinute: 3, submitsPerUserPerMinute: 2 });
    await quotas.countUserSubmit(school, 'student-1', now);
    await quotas.countUserSubmit(school, 'student-1', now);
    await assert.rejects(quotas.countUserSubmit(school, 'student-1', now), refusal('RateLimited', /this student: at most 2 a minute/));
    await quotas.countUserSubmit(school, 'student-2', now);
    await quotas.countUserSubmit(school, 'student-1', new Date('2026-12-07T10:16:00Z'));

    const slots = [await quotas.countSubmit(school, now), await quotas.countSubmit(school, now), await quotas.countSubmit(school, now)];
    await assert.rejects(quotas.countSubmit(school, now), refusal('RateLimited', /at most 3 a minute/));
    // Released in the next minute, it still goes back to the minute it was taken from, and only once.
    const [first] = slots;
    await first?.release();
    await first?.release();
    await quotas.countSubmit(school, new Date('2026-12-07T10:15:59Z'));
    await assert.rejects(quotas.countSubmit(school, now), refusal('RateLimited', /at most 3 a minute/));
  });

  it('reserves estimated cost against the budgets that are set, and gives it back', async () => {
    const school = tenantWith('budgets', { usdPerUserPerDay: 0.1, usdPerDay: 0.25, usdPerMonth: 10 });
    const picture = { images: 1, costUsd: 0.04 };
    await quotas.reserve(school, 'student-1', picture, now);
    await quotas.reserve(school, 'student-1', picture, now);
    await assert.rejects(
      quotas.reserve(school, 'student-1', picture, now),
      refusal('QuotaExceeded', /^This job \(estimated \$0\.04\) would pass this student's daily budget of \$0\.10 \(\$0\.08 reserved so far\)\. It resets at 2026-12-08T00:00:00\.000Z\.$/),
    );
    // Other students' jobs draw on the school's day: $0.08 three times is $0.24 and fits, $0.04 more does not.
    await quotas.reserve(school, 'student-2', { images: 2, costUsd: 0.08 }, now);
    const held = await quotas.reserve(school, 'student-4', { images: 2, costUsd: 0.08 }, now);
    await assert.rejects(quotas.reserve(school, 'student-3', picture, now), refusal('QuotaExceeded', /the school's daily budget of \$0\.25/));
    // A job that was not stored releases its reservation; a canceled one is refunded.
    await held.release();
    await quotas.reserve(school, 'student-3', picture, now);
    await quotas.refund(school, 'student-1', picture, now);
    await quotas.reserve(school, 'student-1', picture, now);

    const usage = await quotas.usage(school, 'student-1', now);
    assert.deepEqual(usage.user?.budget, { currency: 'USD', reserved: 0.08, limit: 0.1 });
    assert.deepEqual(usage.day.budget, { currency: 'USD', reserved: 0.2, limit: 0.25 });
    assert.deepEqual(usage.month.budget, { currency: 'USD', reserved: 0.2, limit: 10 });
    assert.deepEqual([usage.user?.used, usage.day.used], [2, 5], 'images are counted as before');
  });

  it('has no budgets unless the school sets them: a costly job needs only its images', async () => {
    const school = tenantWith('no-budgets', {});
    await quotas.reserve(school, 'student-1', { images: 4, costUsd: 3.94884 }, now);
    const usage = await quotas.usage(school, 'student-1', now);
    assert.equal(usage.day.budget, undefined);
    assert.equal(usage.user?.budget, undefined);
    assert.equal(usage.day.used, 4);
  });
});
