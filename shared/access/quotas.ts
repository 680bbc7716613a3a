import { z } from 'zod';
import type { CounterStore } from '../storage/counterStore';
import type { Pseudonyms } from './pseudonyms';
import { RateLimitError } from '../errors';
import type { Tenant } from './tenants';

/**
 * What a tenant may spend, counted in images: per student per UTC day, per tenant per UTC day and month;
 * and how fast it may submit, per student and per school (per minute). Images are reserved before a job is stored, so an over-quota
 * request costs nothing; a reservation is given back if the job cannot be stored or queued.
 */

const usagePeriodSchema = z.object({ used: z.int(), limit: z.int(), resetsOn: z.string() });

/** What the tenant's succeeded jobs are estimated to have cost in a period (see shared/pricing.ts). */
const spendPeriodSchema = usagePeriodSchema.extend({
  estimatedCost: z.object({ currency: z.literal('USD'), amount: z.number() }),
});

/** GET /api/usage's answer; a schema so that the OpenAPI document is made from it. */
export const usageSchema = z
  .object({
    tenant: z.string(),
    day: spendPeriodSchema,
    month: spendPeriodSchema,
    user: usagePeriodSchema.extend({ id: z.string() }).optional(),
  })
  .meta({ id: 'Usage' });

export type UsagePeriod = z.infer<typeof usagePeriodSchema>;
export type SpendPeriod = z.infer<typeof spendPeriodSchema>;
export type Usage = z.infer<typeof usageSchema>;

/** Something counted that can be given back (a submit slot, a job's reservation). */
export interface Held {
  release(): Promise<void>;
}

export interface Quotas {
  /** Counts one submit against the school's rate; throws 429 RateLimited past its submits per minute. */
  countSubmit(tenant: Tenant, now?: Date): Promise<Held>;
  /** Counts one submit against the student's own rate; throws 429 RateLimited past submitsPerUserPerMinute. */
  countUserSubmit(tenant: Tenant, user: string, now?: Date): Promise<void>;
  /** Reserves `images` for the tenant (and the student); throws 429 QuotaExceeded if any limit would pass. */
  reserveImages(tenant: Tenant, user: string | undefined, images: number, now?: Date): Promise<{ release(): Promise<void> }>;
  usage(tenant: Tenant, user: string | undefined, now?: Date): Promise<Usage>;
  /** Gives back images reserved at `reservedOn` (a job canceled before any provider call). */
  refundImages(tenant: Tenant, user: string | undefined, images: number, reservedOn: Date): Promise<void>;
  /** Adds a succeeded job's estimated cost to the tenant's day and month. */
  recordSpend(tenantId: string, costUsd: number, now?: Date): Promise<void>;
}

/** Spend is counted in whole micro-dollars, so counters stay integers. */
const microUsd = 1_000_000;

const day = (now: Date) => now.toISOString().slice(0, 10);
const month = (now: Date) => now.toISOString().slice(0, 7);
const minute = (now: Date) => now.toISOString().slice(0, 16);
const nextDay = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
const nextMonth = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
const nextMinute = (now: Date) => new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
const secondsUntil = (then: Date, now: Date) => Math.max(1, Math.ceil((then.getTime() - now.getTime()) / 1000));


function spendCounters(tenantId: string, now: Date): [string, string] {
  return [`${tenantId}/spend/day/${day(now)}`, `${tenantId}/spend/month/${month(now)}`];
}

interface Limit {
  readonly counter: string;
  readonly limit: number;
  readonly resetsOn: Date;
  readonly what: string;
}

export function createQuotas(counters: CounterStore, pseudonyms: Pseudonyms): Quotas {
  const userKey = (tenant: Tenant, user: string) => `${tenant.id}/user/${pseudonyms.counterKey(tenant.id, user)}`;

  function imageLimits(tenant: Tenant, user: string | undefined, now: Date): Limit[] {
    const limits: Limit[] = [
      { counter: `${tenant.id}/day/${day(now)}`, limit: tenant.quotas.imagesPerDay, resetsOn: nextDay(now), what: "the school's daily image quota" },
      { counter: `${tenant.id}/month/${month(now)}`, limit: tenant.quotas.imagesPerMonth, resetsOn: nextMonth(now), what: "the school's monthly image quota" },
    ];
    if (user) {
      limits.unshift({
        counter: `${userKey(tenant, user)}/day/${day(now)}`,
        limit: tenant.quotas.imagesPerUserPerDay,
        resetsOn: nextDay(now),
        what: "this student's daily image quota",
      });
    }
    return limits;
  }

  return {
    async countSubmit(tenant, now = new Date()) {
      const counter = `${tenant.id}/submits/${minute(now)}`;
      const { added } = await counters.tryAdd(counter, 1, tenant.quotas.submitsPerMinute);
      if (!added) {
        throw new RateLimitError('RateLimited', `Too many submits: at most ${tenant.quotas.submitsPerMinute} a minute. Try again shortly.`, {
          retryAfterInSeconds: secondsUntil(nextMinute(now), now),
        });
      }
      let held = true;
      return {
        // Into the minute it was taken from, once, however often it is called.
        async release() {
          if (!held) return;
          held = false;
          await counters.tryAdd(counter, -1, Number.MAX_SAFE_INTEGER);
        },
      };
    },

    async countUserSubmit(tenant, user, now = new Date()) {
      const limit = tenant.quotas.submitsPerUserPerMinute;
      const { added } = await counters.tryAdd(`${userKey(tenant, user)}/submits/${minute(now)}`, 1, limit);
      if (!added) {
        throw new RateLimitError('RateLimited', `Too many submits for this student: at most ${limit} a minute. Try again shortly.`, {
          retryAfterInSeconds: secondsUntil(nextMinute(now), now),
        });
      }
    },

    async reserveImages(tenant, user, images, now = new Date()) {
      const reserved: Limit[] = [];
      const release = async () => {
        for (const limit of reserved.splice(0)) await counters.tryAdd(limit.counter, -images, Number.MAX_SAFE_INTEGER);
      };
      for (const limit of imageLimits(tenant, user, now)) {
        let added: boolean;
        try {
          ({ added } = await counters.tryAdd(limit.counter, images, limit.limit));
        } catch (error) {
          await release();
          throw error;
        }
        if (!added) {
          await release();
          throw new RateLimitError(
            'QuotaExceeded',
            `This job would pass ${limit.what} of ${limit.limit} images. It resets at ${limit.resetsOn.toISOString()}.`,
            { retryAfterInSeconds: secondsUntil(limit.resetsOn, now) },
          );
        }
        reserved.push(limit);
      }
      return { release };
    },

    async usage(tenant, user, now = new Date()) {
      const [userLimit, ...rest] = user ? imageLimits(tenant, user, now) : [undefined, ...imageLimits(tenant, undefined, now)];
      const [dayLimit, monthLimit] = rest as [Limit, Limit];
      const period = async (limit: Limit): Promise<UsagePeriod> => ({
        used: await counters.get(limit.counter),
        limit: limit.limit,
        resetsOn: limit.resetsOn.toISOString(),
      });
      const spend = async (limit: Limit, counter: string): Promise<SpendPeriod> => ({
        ...(await period(limit)),
        estimatedCost: { currency: 'USD', amount: (await counters.get(counter)) / microUsd },
      });
      const [dayCounter, monthCounter] = spendCounters(tenant.id, now);
      return {
        tenant: tenant.id,
        day: await spend(dayLimit, dayCounter),
        month: await spend(monthLimit, monthCounter),
        ...(userLimit && user ? { user: { id: user, ...(await period(userLimit)) } } : {}),
      };
    },

    async refundImages(tenant, user, images, reservedOn) {
      for (const limit of imageLimits(tenant, user, reservedOn)) await counters.tryAdd(limit.counter, -images, Number.MAX_SAFE_INTEGER);
    },

    async recordSpend(tenantId, costUsd, now = new Date()) {
      const amount = Math.round(costUsd * microUsd);
      if (amount <= 0) return;
      for (const counter of spendCounters(tenantId, now)) await counters.tryAdd(counter, amount, Number.MAX_SAFE_INTEGER);
    },
  };
}
