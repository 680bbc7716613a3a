import { z } from 'zod';
import type { CounterStore } from '../storage/counterStore';
import type { Pseudonyms } from './pseudonyms';
import { RateLimitError } from '../errors';
import type { Tenant } from '../config/tenants';

/**
 * What a tenant may spend, counted in images: per student per UTC day, per tenant per UTC day and month;
 * optionally in money too (the job's estimated cost, models/pricing.ts), over the same periods; and how
 * fast it may submit, per student and per school (per minute). Images and cost are reserved before a job is
 * stored, so an over-quota request costs nothing; a reservation is given back if the job cannot be stored
 * or queued, or is canceled before any provider call.
 */

const usagePeriodSchema = z.object({ used: z.int(), limit: z.int(), resetsOn: z.string() });

/** A money budget's state: the estimated cost reserved by the jobs accepted in the period, and the limit. */
const budgetSchema = z
  .object({
    currency: z.literal('USD'),
    reserved: z.number().meta({ description: 'The estimated cost of the jobs accepted in this period (reserved at submit, whether they succeed or not).' }),
    limit: z.number(),
  })
  .meta({ description: "Present when the school sets a money budget for this period (TENANTS quotas usdPerUserPerDay, usdPerDay, usdPerMonth)." });

/** What the tenant's succeeded jobs are estimated to have cost in a period (see shared/pricing.ts). */
const spendPeriodSchema = usagePeriodSchema.extend({
  estimatedCost: z.object({ currency: z.literal('USD'), amount: z.number() }),
  budget: budgetSchema.optional(),
});

/** GET /api/usage's answer; a schema so that the OpenAPI document is made from it. */
export const usageSchema = z
  .object({
    tenant: z.string(),
    day: spendPeriodSchema,
    month: spendPeriodSchema,
    user: usagePeriodSchema.extend({ id: z.string(), budget: budgetSchema.optional() }).optional(),
  })
  .meta({ id: 'Usage' });

export type UsagePeriod = z.infer<typeof usagePeriodSchema>;
export type SpendPeriod = z.infer<typeof spendPeriodSchema>;
export type Usage = z.infer<typeof usageSchema>;
export type Budget = z.infer<typeof budgetSchema>;

/** What a job takes from the quotas: its images, and its estimated cost in US dollars. */
export interface QuotaAmount {
  readonly images: number;
  readonly costUsd: number;
}

/** Something counted that can be given back (a submit slot, a job's reservation). */
export interface Held {
  release(): Promise<void>;
}

export interface Quotas {
  /** Counts one submit against the school's rate; throws 429 RateLimited past its submits per minute. */
  countSubmit(tenant: Tenant, now?: Date): Promise<Held>;
  /** Counts one submit against the student's own rate; throws 429 RateLimited past submitsPerUserPerMinute. */
  countUserSubmit(tenant: Tenant, user: string, now?: Date): Promise<void>;
  /** Reserves a job's images and cost for the tenant (and the student); throws 429 QuotaExceeded if any limit would pass. */
  reserve(tenant: Tenant, user: string | undefined, amount: QuotaAmount, now?: Date): Promise<Held>;
  usage(tenant: Tenant, user: string | undefined, now?: Date): Promise<Usage>;
  /** Gives back what was reserved at `reservedOn` (a job canceled before any provider call). */
  refund(tenant: Tenant, user: string | undefined, amount: QuotaAmount, reservedOn: Date): Promise<void>;
  /** Adds a succeeded job's estimated cost to the tenant's day and month. */
  recordSpend(tenantId: string, costUsd: number, now?: Date): Promise<void>;
  /** Deletes the student's own counters (their erasure); the school's totals keep what was used. Returns how many. */
  resetUser(tenantId: string, user: string): Promise<number>;
}

/** Spend is counted in whole micro-dollars, so counters stay integers. */
const microUsd = 1_000_000;
const toMicroUsd = (usd: number) => Math.round(usd * microUsd);
const usd = (micro: number) => `$${(micro / microUsd).toFixed(2)}`;

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
  /** In the counter's unit: images, or micro-dollars for a budget. */
  readonly limit: number;
  readonly resetsOn: Date;
  readonly what: string;
  readonly unit: 'images' | 'microUsd';
}

const amountIn = (limit: Pick<Limit, 'unit'>, amount: QuotaAmount) => (limit.unit === 'images' ? amount.images : toMicroUsd(amount.costUsd));

export function createQuotas(counters: CounterStore, pseudonyms: Pseudonyms): Quotas {
  const userKey = (tenant: Tenant, user: string) => `${tenant.id}/user/${pseudonyms.counterKey(tenant.id, user)}`;

  function imageLimits(tenant: Tenant, user: string | undefined, now: Date): Limit[] {
    const limits: Limit[] = [
      { counter: `${tenant.id}/day/${day(now)}`, limit: tenant.quotas.imagesPerDay, resetsOn: nextDay(now), what: "the school's daily image quota", unit: 'images' },
      { counter: `${tenant.id}/month/${month(now)}`, limit: tenant.quotas.imagesPerMonth, resetsOn: nextMonth(now), what: "the school's monthly image quota", unit: 'images' },
    ];
    if (user) {
      limits.unshift({
        counter: `${userKey(tenant, user)}/day/${day(now)}`,
        limit: tenant.quotas.imagesPerUserPerDay,
        resetsOn: nextDay(now),
        what: "this student's daily image quota",
        unit: 'images',
      });
    }
    return limits;
  }

  /**
   * The money budgets the school sets, each a counter of reserved micro-dollars. Apart from the spend
   * counters (what succeeded jobs cost, after the fact): a budget must hold before the provider is called.
   */
  function budgetLimits(tenant: Tenant, user: string | undefined, now: Date): { user?: Limit; day?: Limit; month?: Limit } {
    const { usdPerUserPerDay, usdPerDay, usdPerMonth } = tenant.quotas;
    return {
      ...(user && usdPerUserPerDay !== undefined
        ? { user: { counter: `${userKey(tenant, user)}/budget/day/${day(now)}`, limit: toMicroUsd(usdPerUserPerDay), resetsOn: nextDay(now), what: "this student's daily budget", unit: 'microUsd' } }
        : {}),
      ...(usdPerDay !== undefined
        ? { day: { counter: `${tenant.id}/budget/day/${day(now)}`, limit: toMicroUsd(usdPerDay), resetsOn: nextDay(now), what: "the school's daily budget", unit: 'microUsd' } }
        : {}),
      ...(usdPerMonth !== undefined
        ? { month: { counter: `${tenant.id}/budget/month/${month(now)}`, limit: toMicroUsd(usdPerMonth), resetsOn: nextMonth(now), what: "the school's monthly budget", unit: 'microUsd' } }
        : {}),
    } as const;
  }

  /**
   * Everything a job takes from, the student's first (their limit is usually the one that ends it). Limits
   * it would add nothing to are left out: no write for a budget of a job estimated at $0.
   */
  function limitsFor(tenant: Tenant, user: string | undefined, amount: QuotaAmount, now: Date): Limit[] {
    const budgets = budgetLimits(tenant, user, now);
    return [...imageLimits(tenant, user, now), ...[budgets.user, budgets.day, budgets.month].filter((limit): limit is Limit => limit !== undefined)].filter(
      (limit) => amountIn(limit, amount) > 0,
    );
  }

  function exceeded(limit: Limit, amount: QuotaAmount, count: number, now: Date): RateLimitError {
    const resets = `It resets at ${limit.resetsOn.toISOString()}.`;
    const message =
      limit.unit === 'images'
        ? `This job would pass ${limit.what} of ${limit.limit} images. ${resets}`
        : `This job (estimated ${usd(toMicroUsd(amount.costUsd))}) would pass ${limit.what} of ${usd(limit.limit)} (${usd(count)} reserved so far). ${resets}`;
    return new RateLimitError('QuotaExceeded', message, { retryAfterInSeconds: secondsUntil(limit.resetsOn, now) });
  }

  const giveBack = (limit: Limit, amount: QuotaAmount) => counters.tryAdd(limit.counter, -amountIn(limit, amount), Number.MAX_SAFE_INTEGER);

  /** One submit in this minute's counter, or 429 until the next minute; the slot can be given back once. */
  async function countMinute(counter: string, limit: number, whose: string, now: Date): Promise<Held> {
    const { added } = await counters.tryAdd(counter, 1, limit);
    if (!added) {
      throw new RateLimitError('RateLimited', `Too many submits${whose}: at most ${limit} a minute. Try again shortly.`, {
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
  }

  return {
    async countSubmit(tenant, now = new Date()) {
      return countMinute(`${tenant.id}/submits/${minute(now)}`, tenant.quotas.submitsPerMinute, '', now);
    },

    async countUserSubmit(tenant, user, now = new Date()) {
      // Never given back: a student's refused prompts count against the student, whoever else is held up.
      await countMinute(`${userKey(tenant, user)}/submits/${minute(now)}`, tenant.quotas.submitsPerUserPerMinute, ' for this student', now);
    },

    async reserve(tenant, user, amount, now = new Date()) {
      const reserved: Limit[] = [];
      const release = async () => {
        for (const limit of reserved.splice(0)) await giveBack(limit, amount);
      };
      for (const limit of limitsFor(tenant, user, amount, now)) {
        let result: { added: boolean; count: number };
        try {
          result = await counters.tryAdd(limit.counter, amountIn(limit, amount), limit.limit);
        } catch (error) {
          await release();
          throw error;
        }
        if (!result.added) {
          await release();
          throw exceeded(limit, amount, result.count, now);
        }
        reserved.push(limit);
      }
      return { release };
    },

    async usage(tenant, user, now = new Date()) {
      const [userLimit, ...rest] = user ? imageLimits(tenant, user, now) : [undefined, ...imageLimits(tenant, undefined, now)];
      const [dayLimit, monthLimit] = rest as [Limit, Limit];
      const budgets = budgetLimits(tenant, user, now);
      const period = async (limit: Limit): Promise<UsagePeriod> => ({
        used: await counters.get(limit.counter),
        limit: limit.limit,
        resetsOn: limit.resetsOn.toISOString(),
      });
      const budget = async (limit: Limit | undefined): Promise<{ budget?: Budget }> =>
        limit ? { budget: { currency: 'USD', reserved: (await counters.get(limit.counter)) / microUsd, limit: limit.limit / microUsd } } : {};
      const spend = async (limit: Limit, counter: string, budgetLimit: Limit | undefined): Promise<SpendPeriod> => ({
        ...(await period(limit)),
        estimatedCost: { currency: 'USD', amount: (await counters.get(counter)) / microUsd },
        ...(await budget(budgetLimit)),
      });
      const [dayCounter, monthCounter] = spendCounters(tenant.id, now);
      return {
        tenant: tenant.id,
        day: await spend(dayLimit, dayCounter, budgets.day),
        month: await spend(monthLimit, monthCounter, budgets.month),
        ...(userLimit && user ? { user: { id: user, ...(await period(userLimit)), ...(await budget(budgets.user)) } } : {}),
      };
    },

    async refund(tenant, user, amount, reservedOn) {
      for (const limit of limitsFor(tenant, user, amount, reservedOn)) await giveBack(limit, amount);
    },

    async recordSpend(tenantId, costUsd, now = new Date()) {
      const amount = toMicroUsd(costUsd);
      if (amount <= 0) return;
      for (const counter of spendCounters(tenantId, now)) await counters.tryAdd(counter, amount, Number.MAX_SAFE_INTEGER);
    },

    resetUser(tenantId, user) {
      // The trailing slash: one student's pseudonym must not be a prefix of another's (they are all 32 hex digits, but say so).
      return counters.deletePrefix(`${tenantId}/user/${pseudonyms.counterKey(tenantId, user)}/`);
    },
  };
}
