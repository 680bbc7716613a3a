import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Tenants: each school's LMS, with its API keys (stored only as SHA-256 hashes: the keys are long random
 * strings, so a fast hash is enough and nothing secret sits in settings) and its quotas. Up to two keys
 * at once, so a key can be rotated without downtime.
 */

/** The documented local development key; start-up refuses it in Azure. */
export const localDevelopmentKey = 'local-dev-key';
/** The demo tenant's webhook secret in local.settings.example.json; start-up refuses it in Azure. */
export const localDevelopmentWebhookSecret = 'whsec_bG9jYWwtZGV2LXdlYmhvb2stc2VjcmV0LW5vdC1mb3ItYXp1cmU=';

const quota = (name: string, fallback: number) =>
  z.int({ error: `${name} must be a whole number from 0 to 10000000` }).min(0).max(10_000_000).default(fallback);

/** A student's submits a minute when the school sets none: a class of 30 can all press Generate, one child cannot take the school's rate. */
export const defaultSubmitsPerUserPerMinute = 10;

/** A money budget in US dollars (the catalogue's prices), above 0; off when absent. */
const budget = (name: string) =>
  z
    .number({ error: `${name} must be an amount in US dollars above 0, at most 1000000` })
    .positive(`${name} must be an amount in US dollars above 0, at most 1000000`)
    .max(1_000_000, `${name} must be an amount in US dollars above 0, at most 1000000`)
    .optional();

const tenantQuotasSchema = z
  .strictObject({
    /** Images one student (the request's `user`) may ask for per UTC day. */
    imagesPerUserPerDay: quota('imagesPerUserPerDay', 20),
    imagesPerDay: quota('imagesPerDay', 500),
    imagesPerMonth: quota('imagesPerMonth', 5_000),
    /**
     * The school's submits per minute: a brake on a runaway LMS. A student's submit (a studio session's, or
     * the LMS's with `user`) is counted here only while it can still become a job (submission.ts), so one
     * child's refused prompts cannot lock the whole school out.
     */
    submitsPerMinute: quota('submitsPerMinute', 60),
    /**
     * One student's submits per minute, accepted or not: what stops a child hammering the classifier, which
     * is paid per call. At most the school's; absent: 10, or the school's rate if that is lower.
     */
    submitsPerUserPerMinute: z
      .int({ error: 'submitsPerUserPerMinute must be a whole number from 1 to 10000000' })
      .min(1, 'submitsPerUserPerMinute must be a whole number from 1 to 10000000')
      .max(10_000_000, 'submitsPerUserPerMinute must be a whole number from 1 to 10000000')
      .optional(),
    /**
     * Money budgets, from each job's estimated cost (models/pricing.ts) reserved at submit, as images are:
     * per student per UTC day, per school per UTC day and month. Off unless set, because the count quotas
     * above already bound a school that keeps to the studio's default pictures.
     */
    usdPerUserPerDay: budget('usdPerUserPerDay'),
    usdPerDay: budget('usdPerDay'),
    usdPerMonth: budget('usdPerMonth'),
  })
  .superRefine((quotas, context) => {
    if (quotas.submitsPerUserPerMinute !== undefined && quotas.submitsPerUserPerMinute > quotas.submitsPerMinute) {
      context.addIssue({
        code: 'custom',
        path: ['submitsPerUserPerMinute'],
        message: `submitsPerUserPerMinute (${quotas.submitsPerUserPerMinute}) must not be more than the school's submitsPerMinute (${quotas.submitsPerMinute})`,
      });
    }
  })
  .transform((quotas) => ({
    ...quotas,
    submitsPerUserPerMinute: quotas.submitsPerUserPerMinute ?? Math.max(1, Math.min(defaultSubmitsPerUserPerMinute, quotas.submitsPerMinute)),
  }));

/**
 * A tenant's webhooks: the default receiver (a job's callbackUrl wins) and the signing secrets, in the
 * Standard Webhooks form `whsec_<base64 of 24 to 64 random bytes>`. Every secret signs (the signature header
 * carries one signature per secret), so a receiver that knows either one verifies: at most two, for rotation.
 */
const webhookSecretPattern = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;
const tenantWebhookSchema = z.strictObject({
  url: z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'webhook.url must be an absolute https URL')
    .optional(),
  secrets: z
    .array(z.string().regex(webhookSecretPattern, 'a webhook secret looks like whsec_<base64 of 24 to 64 random bytes> (npm run webhook-secret)'))
    .min(1, 'webhooks need a signing secret')
    .max(2, 'a tenant has at most two webhook secrets at once (the current one and the next)'),
});

/**
 * A school's own prompt-screen terms, on top of the default list: `add` takes lines in the list's format
 * (`clown`, `? sword` for a context term, `= sword dance` for an exception), `remove` drops default terms
 * (a history class may allow `sword`). TENANTS is an app setting, so a change needs no deploy.
 */
const termLine = z
  .string()
  .max(100, 'a term is at most 100 characters')
  .refine((line) => /[\p{L}\p{N}]/u.test(line), 'a term needs a letter or digit');
/**
 * The classifier's refusal levels, per category, on Azure AI Content Safety's four-level scale (0 safe,
 * 2 low, 4 medium, 6 high): a prompt is refused when a category's severity is at or above its threshold,
 * so 2 refuses from "low" up, 4 from "medium", 6 only "high", and 8 never (the category is off).
 * School-strict by default: 2 everywhere, stricter than Azure OpenAI's own default filter (which refuses
 * from medium), because the authors are children and a refused prompt costs a rewording, not a lesson.
 * A school that teaches e.g. history may raise `violence` to 4 (docs/safety.md).
 */
const threshold = (name: string) =>
  z
    .union([z.literal(2), z.literal(4), z.literal(6), z.literal(8)], { error: `safety.thresholds.${name} must be 2 (low), 4 (medium), 6 (high) or 8 (off)` })
    .default(2);

const safetyThresholdsSchema = z.strictObject({
  hate: threshold('hate'),
  sexual: threshold('sexual'),
  violence: threshold('violence'),
  selfHarm: threshold('selfHarm'),
});

const tenantSafetySchema = z.strictObject({
  terms: z
    .strictObject({
      add: z.array(termLine).max(500, 'a tenant adds at most 500 terms').optional(),
      remove: z.array(termLine).max(500, 'a tenant removes at most 500 terms').optional(),
    })
    .optional(),
  thresholds: safetyThresholdsSchema.default(() => safetyThresholdsSchema.parse({})),
  /** Prompt Shields ("ignore your instructions" attacks); on unless a school turns it off. */
  promptShield: z.boolean().default(true),
});

/**
 * Who a child can turn to at school (the vertrouwenspersoon, the care coordinator), shown with the help
 * lines when a prompt carries a self-harm signal (safety/safeguarding.ts). A child reads it and may click it:
 * a short text, and a link that is https, mailto: or tel: only.
 */
const tenantSafeguardingSchema = z
  .strictObject({
    contact: z.string().trim().min(1).max(200, 'safeguarding.contact is at most 200 characters').optional(),
    contactUrl: z
      .string()
      .max(500)
      .refine((value) => URL.canParse(value) && ['https:', 'mailto:', 'tel:'].includes(new URL(value).protocol), 'safeguarding.contactUrl must be an https:, mailto: or tel: URL')
      .optional(),
  })
  .refine((value) => value.contact !== undefined || value.contactUrl !== undefined, 'safeguarding needs a contact, a contactUrl, or both');

const apiKeyHash = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'an API key hash looks like sha256:<64 hex digits> (npm run api-key)');

/**
 * Named keys: the label is what the access log records (never the key or its hash), so a school can tell
 * which of its systems read what, and rotate the one that leaked.
 */
const namedKeySchema = z.strictObject({
  label: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'an API key label is 1 to 40 letters, digits, . _ or - (it appears in the access log)'),
  hash: apiKeyHash,
});

const tenantSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a tenant id is 1 to 32 lower-case letters, digits or -'),
    name: z.string().max(100).optional(),
    /** Unnamed keys (the first form): labelled key-1 and key-2 in the access log (keysOf). */
    apiKeyHashes: z.array(apiKeyHash).max(2, 'a tenant has at most two API keys at once (the current one and the next)').optional(),
    /** Named keys, one per system that reads (the LMS, a teacher dashboard, …); besides apiKeyHashes. */
    apiKeys: z.array(namedKeySchema).max(10, 'a tenant has at most ten named API keys').optional(),
    quotas: tenantQuotasSchema.default(() => tenantQuotasSchema.parse({})),
    webhook: tenantWebhookSchema.optional(),
    /** Absent means the school-strict defaults (safetyOf). */
    safety: tenantSafetySchema.optional(),
    safeguarding: tenantSafeguardingSchema.optional(),
    /**
     * How long this school's jobs, pictures and safety events are kept, in days after their last change;
     * absent means the RETENTION_DAYS setting. The sweep applies it (upkeep/retention.ts).
     */
    retentionDays: z.int({ error: 'retentionDays must be a whole number of days from 1 to 365' }).min(1, 'retentionDays must be a whole number of days from 1 to 365').max(365, 'retentionDays must be a whole number of days from 1 to 365').optional(),
    /**
     * The school's share of the calls while calls are paced, against the other schools with waiting jobs
     * (jobs/turns.ts): a school of weight 2 gets two turns to another's one. Absent means 1.
     */
    // At least 0.001: a weight so small that a share overflows to Infinity would tie every school's jobs.
    weight: z
      .number({ error: 'weight must be a number above 0 (from 0.001), at most 1000' })
      .min(0.001, 'weight must be a number above 0 (from 0.001), at most 1000')
      .max(1000, 'weight must be a number above 0 (from 0.001), at most 1000')
      .optional(),
  })
  .superRefine((tenant, context) => {
    if ((tenant.apiKeyHashes?.length ?? 0) + (tenant.apiKeys?.length ?? 0) === 0) {
      context.addIssue({ code: 'custom', path: ['apiKeyHashes'], message: 'a tenant needs an API key hash (apiKeyHashes, or apiKeys with labels)' });
    }
    const labels = keysOf(tenant).map((key) => key.label);
    const twice = labels.find((label, index) => labels.indexOf(label) !== index);
    if (twice !== undefined) context.addIssue({ code: 'custom', path: ['apiKeys'], message: `the API key label ${twice} appears twice (apiKeyHashes are labelled key-1 and key-2)` });
  });

/** A school's keys with their labels: the named ones, and the unnamed apiKeyHashes as key-1, key-2. */
export function keysOf(tenant: { readonly apiKeyHashes?: readonly string[] | undefined; readonly apiKeys?: readonly { label: string; hash: string }[] | undefined }): Array<{ label: string; hash: string }> {
  return [...(tenant.apiKeyHashes ?? []).map((hash, index) => ({ label: `key-${index + 1}`, hash })), ...(tenant.apiKeys ?? []).map(({ label, hash }) => ({ label, hash }))];
}

export type TenantQuotas = z.infer<typeof tenantQuotasSchema>;
/** Quotas as written in TENANTS (the optional ones may be left out). */
export type TenantQuotasSetting = z.input<typeof tenantQuotasSchema>;
export type TenantSafety = z.infer<typeof tenantSafetySchema>;
export type SafetyThresholds = z.infer<typeof safetyThresholdsSchema>;
export const defaultSafety: TenantSafety = tenantSafetySchema.parse({});

/** A school's weight in the turns (TENANTS `weight`); 1 for a school that sets none or is no longer in TENANTS. */
export function weightOf(tenants: readonly Pick<Tenant, 'id' | 'weight'>[]): (tenantId: string) => number {
  const weights = new Map(tenants.map((tenant) => [tenant.id, tenant.weight ?? 1]));
  return (tenantId) => weights.get(tenantId) ?? 1;
}

/** A school's safety settings, its own or the school-strict defaults. */
export function safetyOf(tenant: Pick<Tenant, 'safety'>): TenantSafety {
  return tenant.safety ?? defaultSafety;
}
export type Tenant = z.infer<typeof tenantSchema>;

export const defaultQuotas: TenantQuotas = tenantQuotasSchema.parse({});

/** A new random API key for a school (`npm run api-key`, `npm run ops -- school …`); only its hash is stored. */
export function newApiKey(): string {
  return `e4a_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

export function parseTenants(json: string): Tenant[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('TENANTS must be a JSON array of tenants');
  }
  const parsed = z.array(tenantSchema).min(1, 'TENANTS must name at least one tenant').safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`TENANTS${issue?.path.length ? `[${issue.path.join('.')}]` : ''}: ${issue?.message ?? 'invalid'}`);
  }
  const tenants = parsed.data;
  const ids = tenants.map((t) => t.id);
  const duplicateId = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicateId) throw new Error(`TENANTS: the tenant id ${duplicateId} appears twice`);
  const hashes = tenants.flatMap((t) => keysOf(t).map((key) => key.hash));
  if (new Set(hashes).size !== hashes.length) throw new Error('TENANTS: an API key hash belongs to two tenants');
  return tenants;
}


/**
 * The tenant whose key this is, or undefined. Every stored hash is compared, in constant time, so the
 * time taken says nothing about which tenant or how much of a hash matched.
 */
export function authenticateTenant(tenants: readonly Tenant[], presentedKey: string | null | undefined): Tenant | undefined {
  return authenticateKey(tenants, presentedKey)?.tenant;
}

/** The tenant and the label of the key presented (for the access log), or undefined; compared as authenticateTenant says. */
export function authenticateKey(tenants: readonly Tenant[], presentedKey: string | null | undefined): { tenant: Tenant; keyLabel: string } | undefined {
  if (!presentedKey || presentedKey.length > 512) return undefined;
  const presented = Buffer.from(hashApiKey(presentedKey));
  let found: { tenant: Tenant; keyLabel: string } | undefined;
  for (const tenant of tenants) {
    for (const key of keysOf(tenant)) {
      const stored = Buffer.from(key.hash);
      if (stored.length === presented.length && timingSafeEqual(stored, presented)) found ??= { tenant, keyLabel: key.label };
    }
  }
  return found;
}
