import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type Azurite } from '../../../local/azurite/azurite';
import { createPseudonyms } from '../../../shared/access/pseudonyms';
import { createQuotas, type Quotas } from '../../../shared/access/quotas';
import { hashApiKey, parseTenants, type Tenant } from '../../../shared/access/tenants';
import { RateLimitError } from '../../../shared/errors';
import { createCounterStore } from '../../../shared/storage/counterStore';

/**
 * Submit rates, on a fixed clock, against a real Azurite: the student's rate of their own, and a school
 * slot given back into the minute it came from.
 */
describe('quotas: submit rates', () => {
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
});
