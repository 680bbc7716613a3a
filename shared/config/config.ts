import { z } from 'zod';
import { ConfigurationError } from '../errors';
import { defaultModelName, getModel, modelNames, type Cloud } from '../models/modelCatalogue';
import { lifecycleVerdict } from '../models/modelLifecycle';
import { literalTargetRefusal } from '../addresses/targetGuard';
import type { TelemetrySettings } from '../telemetry/setup';
import { hashApiKey, keysOf, localDevelopmentKey, localDevelopmentWebhookSecret, parseTenants, type Tenant } from './tenants';

/** The status-token secret in local.settings.example.json; start-up refuses it in Azure. */
export const localDevelopmentStatusSecret = 'local-development-status-token-secret-not-for-azure';

/**
 * Every setting the service reads, validated once at start-up. The names are the same in code,
 * local.settings.example.json, the settings table in docs/configuration.md and infra/. A missing or wrong setting stops start-up
 * with a message that names it.
 */

export type StorageConfig =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly blobServiceUri: string;
      readonly queueServiceUri: string;
      /** The Table service that holds the job-listing index. */
      readonly tableServiceUri: string;
      /** Client id of a user-assigned managed identity; absent means DefaultAzureCredential. */
      readonly clientId?: string;
    };

export type ImageProviderConfig =
  | {
      readonly kind: 'azure-openai';
      readonly endpoint: string;
      readonly deployment: string;
      readonly apiVersion: string;
      /** Absent means keyless (Microsoft Entra ID through @azure/identity), the default in Azure. */
      readonly apiKey?: string;
      readonly clientId?: string;
    }
  | { readonly kind: 'openai'; readonly apiKey: string; readonly baseUrl?: string };

/** The cloud whose lifecycle and output formats apply. */
export function cloudOf(provider: ImageProviderConfig): Cloud {
  return provider.kind;
}


type Env = Record<string, string | undefined>;

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const url = (name: string) =>
  z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: `${name} must be an http(s) URL`,
  });

const integer = (name: string, min: number, max: number, fallback: number) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, `${name} must be a whole number from ${min} to ${max}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, `${name} must be a whole number from ${min} to ${max}`)
          .max(max, `${name} must be a whole number from ${min} to ${max}`),
      )
      .optional()
      .default(fallback),
  );

const settingsSchema = z.object({
  AzureWebJobsStorage: optionalText,
  AzureWebJobsStorage__blobServiceUri: optionalText.pipe(url('AzureWebJobsStorage__blobServiceUri').optional()),
  AzureWebJobsStorage__queueServiceUri: optionalText.pipe(url('AzureWebJobsStorage__queueServiceUri').optional()),
  AzureWebJobsStorage__tableServiceUri: optionalText.pipe(url('AzureWebJobsStorage__tableServiceUri').optional()),
  AzureWebJobsStorage__accountName: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, 'AzureWebJobsStorage__accountName must be a storage account name (3-24 lower-case letters and digits)')
      .optional(),
  ),
  AzureWebJobsStorage__clientId: optionalText,
  IMAGE_PROVIDER: optionalText.pipe(
    z
      .enum(['azure-openai', 'openai'], { error: 'IMAGE_PROVIDER must be azure-openai or openai' })
      .optional()
      .default('azure-openai'),
  ),
  IMAGE_MODEL: optionalText.pipe(
    z
      .string()
      .refine((name) => modelNames.includes(name), `IMAGE_MODEL must be one of ${modelNames.join(', ')}`)
      .optional()
      .default(defaultModelName),
  ),
  AZURE_OPENAI_ENDPOINT: optionalText.pipe(url('AZURE_OPENAI_ENDPOINT').optional()),
  AZURE_OPENAI_DEPLOYMENT: optionalText,
  // The images API of the deployment route, documented for the gpt-image models "2025-04-01-preview or later".
  AZURE_OPENAI_API_VERSION: optionalText.pipe(z.string().optional().default('2025-04-01-preview')),
  AZURE_OPENAI_API_KEY: optionalText,
  AZURE_CLIENT_ID: optionalText,
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText.pipe(url('OPENAI_BASE_URL').optional()),
  IMAGE_REQUEST_TIMEOUT_SECONDS: integer('IMAGE_REQUEST_TIMEOUT_SECONDS', 5, 600, 120),
  IMAGE_REQUESTS_PER_MINUTE: integer('IMAGE_REQUESTS_PER_MINUTE', 1, 100_000, 6),
  // At most 25 minutes: one more call (IMAGE_REQUEST_TIMEOUT_SECONDS) must still fit in host.json's 30-minute functionTimeout.
  JOB_RETRY_DEADLINE_SECONDS: integer('JOB_RETRY_DEADLINE_SECONDS', 5, 1500, 900),
  SAS_EXPIRY_MINUTES: integer('SAS_EXPIRY_MINUTES', 1, 1440, 60),
  PROMPT_MAX_CHARS: integer('PROMPT_MAX_CHARS', 1, 32_000, 1000),
  MAX_IMAGES_PER_JOB: integer('MAX_IMAGES_PER_JOB', 1, 10, 4),
  // gpt-image-2 takes up to 16 input images per edit; each is a child's picture to check, store and erase.
  MAX_EDIT_IMAGES: integer('MAX_EDIT_IMAGES', 1, 16, 4),
  // The pictures of one edit are held in memory while its calls run (the openai client sends them as one
  // multipart body from memory), and a host runs up to 3 jobs at once (host.json): this caps each job's share.
  // 16 uploads of 20 MiB (320 MiB) would be allowed without it; 48 MiB is well above four phone photos.
  MAX_EDIT_INPUT_MIB: integer('MAX_EDIT_INPUT_MIB', 1, 320, 48),
  PROMPT_BLOCKED_TERMS_EXTRA: optionalText,
  STATUS_RETRY_AFTER_SECONDS: integer('STATUS_RETRY_AFTER_SECONDS', 1, 60, 2),
  // Live previews: partial images per picture (the provider allows 0-3; each costs extra output tokens). 0 = no streaming.
  PARTIAL_IMAGES: integer('PARTIAL_IMAGES', 0, 3, 2),
  PUBLIC_BASE_URL: optionalText.pipe(url('PUBLIC_BASE_URL').optional()),
  TENANTS: optionalText,
  STATUS_TOKEN_SECRETS: optionalText,
  STATUS_TOKEN_MINUTES: integer('STATUS_TOKEN_MINUTES', 5, 10_080, 1440),
  RETENTION_DAYS: integer('RETENTION_DAYS', 1, 3650, 30),
  // The record of access (who read which children's data, when): long enough to look into a leak after the fact.
  ACCESS_LOG_RETENTION_DAYS: integer('ACCESS_LOG_RETENTION_DAYS', 1, 3650, 365),
  CORS_ALLOWED_ORIGINS: optionalText,
  // Local development only: webhooks may go to http:// and to loopback or private addresses (a receiver on this machine).
  WEBHOOKS_ALLOW_PRIVATE_TARGETS: optionalText.pipe(
    z.enum(['true', 'false'], { error: 'WEBHOOKS_ALLOW_PRIVATE_TARGETS must be true or false' }).optional().default('false'),
  ),
  WEBHOOK_TIMEOUT_SECONDS: integer('WEBHOOK_TIMEOUT_SECONDS', 1, 30, 10),
  // Azure AI Content Safety (the classifier layer); required in Azure, empty locally turns the layer off.
  CONTENT_SAFETY_ENDPOINT: optionalText.pipe(url('CONTENT_SAFETY_ENDPOINT').optional()),
  // Local development only (the stand-in takes any key); Azure is keyless, with the managed identity.
  CONTENT_SAFETY_KEY: optionalText,
  // Both classifier calls together; past it the submit fails closed (503). The service answers in well under a second.
  CONTENT_SAFETY_TIMEOUT_MS: integer('CONTENT_SAFETY_TIMEOUT_MS', 100, 30_000, 2000),
  // The output check (image:analyze on every finished picture and preview); on wherever CONTENT_SAFETY_ENDPOINT is set.
  OUTPUT_CHECK: optionalText.pipe(z.enum(['on', 'off'], { error: 'OUTPUT_CHECK must be on or off' }).optional().default('on')),
  // One picture's check. Longer than the prompt's: a picture of up to 4 MB goes up, and no one waits on a submit for it.
  OUTPUT_CHECK_TIMEOUT_MS: integer('OUTPUT_CHECK_TIMEOUT_MS', 100, 60_000, 10_000),
  // Telemetry (shared/telemetry/setup.ts): Application Insights in Azure (infra/ sets both); off when empty.
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText,
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: optionalText,
  // Local development only: finished spans as JSON lines in this file (npm start: .traces/spans.jsonl), read by `npm run ops -- trace`.
  LOCAL_TRACES_FILE: optionalText,
  // The local span file is renamed to <file>.1 past this size, so at most twice it is kept.
  LOCAL_TRACES_MAX_MB: integer('LOCAL_TRACES_MAX_MB', 1, 1024, 20),
  // Set by App Service in Azure; tells start-up to refuse the local development key and secret.
  WEBSITE_SITE_NAME: optionalText,
  // Set by App Service in Azure: the app's own host name, the one Host that links may be built from.
  WEBSITE_HOSTNAME: optionalText.pipe(z.string().regex(/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/, 'WEBSITE_HOSTNAME must be a host name').optional()),
});

type Settings = z.infer<typeof settingsSchema>;

/** Every setting name this module reads (infra/ and the table in docs/configuration.md are checked against it). */
export const settingNames: readonly string[] = Object.keys(settingsSchema.shape);

function storageFrom(settings: Settings): StorageConfig {
  if (settings.AzureWebJobsStorage) {
    return { kind: 'connectionString', connectionString: settings.AzureWebJobsStorage };
  }
  const account = settings.AzureWebJobsStorage__accountName;
  const blobServiceUri =
    settings.AzureWebJobsStorage__blobServiceUri ?? (account && `https://${account}.blob.core.windows.net`);
  const queueServiceUri =
    settings.AzureWebJobsStorage__queueServiceUri ?? (account && `https://${account}.queue.core.windows.net`);
  const tableServiceUri =
    settings.AzureWebJobsStorage__tableServiceUri ?? (account && `https://${account}.table.core.windows.net`);
  if (!blobServiceUri || !queueServiceUri || !tableServiceUri) {
    throw new ConfigurationError(
      'Storage is not configured: set AzureWebJobsStorage to a connection string, or AzureWebJobsStorage__blobServiceUri, ' +
        'AzureWebJobsStorage__queueServiceUri and AzureWebJobsStorage__tableServiceUri (or AzureWebJobsStorage__accountName) for identity-based access.',
    );
  }
  return {
    kind: 'identity',
    blobServiceUri,
    queueServiceUri,
    tableServiceUri,
    ...(settings.AzureWebJobsStorage__clientId ? { clientId: settings.AzureWebJobsStorage__clientId } : {}),
  };
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function tenantsFrom(settings: Settings): Tenant[] {
  if (!settings.TENANTS) {
    throw new ConfigurationError('TENANTS is required: a JSON array of tenants with their API key hashes (see docs/security.md, Authentication).');
  }
  let tenants: Tenant[];
  try {
    tenants = parseTenants(settings.TENANTS);
  } catch (error) {
    throw new ConfigurationError(error instanceof Error ? error.message : String(error));
  }
  const developmentHash = hashApiKey(localDevelopmentKey);
  if (settings.WEBSITE_SITE_NAME && tenants.some((tenant) => keysOf(tenant).some((key) => key.hash === developmentHash))) {
    throw new ConfigurationError(`TENANTS holds the local development key '${localDevelopmentKey}', which must never be used in Azure.`);
  }
  if (settings.WEBSITE_SITE_NAME && tenants.some((tenant) => tenant.webhook?.secrets.includes(localDevelopmentWebhookSecret))) {
    throw new ConfigurationError('TENANTS holds the local development webhook secret, which must never be used in Azure (npm run webhook-secret makes a new one).');
  }
  // A school's default receiver at an IP address webhooks may not target would fail every delivery: say so at start-up.
  const allowPrivateTargets = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS === 'true';
  for (const tenant of tenants) {
    const refused = tenant.webhook?.url === undefined ? undefined : literalTargetRefusal(tenant.webhook.url, { allowPrivateTargets });
    if (refused) throw new ConfigurationError(`TENANTS: the webhook.url of tenant ${tenant.id}: ${refused}.`);
  }
  return tenants;
}

function statusSecretsFrom(settings: Settings): string[] {
  const secrets = list(settings.STATUS_TOKEN_SECRETS);
  if (secrets.length === 0) {
    throw new ConfigurationError('STATUS_TOKEN_SECRETS is required: one or more random secrets of at least 32 characters, comma-separated.');
  }
  if (secrets.some((secret) => secret.length < 32)) {
    throw new ConfigurationError('STATUS_TOKEN_SECRETS: every secret must be at least 32 characters long.');
  }
  if (settings.WEBSITE_SITE_NAME && secrets.includes(localDevelopmentStatusSecret)) {
    throw new ConfigurationError('STATUS_TOKEN_SECRETS holds the local development secret, which must never be used in Azure.');
  }
  return secrets;
}

function originsFrom(settings: Settings): string[] {
  return list(settings.CORS_ALLOWED_ORIGINS).map((origin) => {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw new ConfigurationError(`CORS_ALLOWED_ORIGINS: '${origin}' is not an origin like https://lms.example.org`);
    }
    return origin;
  });
}

function webhooksFrom(settings: Settings) {
  const allowPrivateTargets = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS === 'true';
  if (allowPrivateTargets && settings.WEBSITE_SITE_NAME) {
    throw new ConfigurationError('WEBHOOKS_ALLOW_PRIVATE_TARGETS is for local development only; in Azure it would let a tenant reach the app\'s private network.');
  }
  return {
    /** Local development: http:// and loopback, private and link-local addresses are allowed as webhook targets. */
    allowPrivateTargets,
    /** Bounds connecting to a receiver and its whole answer, so a slow receiver cannot hold a worker. */
    timeoutInSeconds: settings.WEBHOOK_TIMEOUT_SECONDS,
  } as const;
}

function imageProviderFrom(settings: Settings): ImageProviderConfig {
  if (settings.IMAGE_PROVIDER === 'openai') {
    if (!settings.OPENAI_API_KEY) {
      throw new ConfigurationError('OPENAI_API_KEY is required when IMAGE_PROVIDER is openai.');
    }
    return {
      kind: 'openai',
      apiKey: settings.OPENAI_API_KEY,
      ...(settings.OPENAI_BASE_URL ? { baseUrl: settings.OPENAI_BASE_URL } : {}),
    };
  }
  const missing = (['AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_DEPLOYMENT'] as const).filter((name) => !settings[name]);
  if (missing.length > 0 || !settings.AZURE_OPENAI_ENDPOINT || !settings.AZURE_OPENAI_DEPLOYMENT) {
    throw new ConfigurationError(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required when IMAGE_PROVIDER is azure-openai ` +
        '(the resource endpoint, e.g. https://my-resource.openai.azure.com, and the image model deployment name).',
    );
  }
  return {
    kind: 'azure-openai',
    endpoint: settings.AZURE_OPENAI_ENDPOINT,
    deployment: settings.AZURE_OPENAI_DEPLOYMENT,
    apiVersion: settings.AZURE_OPENAI_API_VERSION,
    ...(settings.AZURE_OPENAI_API_KEY ? { apiKey: settings.AZURE_OPENAI_API_KEY } : {}),
    ...(settings.AZURE_CLIENT_ID ? { clientId: settings.AZURE_CLIENT_ID } : {}),
  };
}

function contentSafetyFrom(settings: Settings) {
  if (!settings.CONTENT_SAFETY_ENDPOINT) {
    if (settings.WEBSITE_SITE_NAME) {
      throw new ConfigurationError('CONTENT_SAFETY_ENDPOINT is required in Azure: the content safety classifier checks every prompt before anything is spent (infra/ sets it).');
    }
    return undefined;
  }
  if (settings.CONTENT_SAFETY_KEY && settings.WEBSITE_SITE_NAME) {
    throw new ConfigurationError('CONTENT_SAFETY_KEY is for the local stand-in only; in Azure the managed identity calls Content Safety keylessly.');
  }
  return {
    endpoint: settings.CONTENT_SAFETY_ENDPOINT,
    ...(settings.CONTENT_SAFETY_KEY ? { apiKey: settings.CONTENT_SAFETY_KEY } : {}),
    ...(settings.AZURE_CLIENT_ID ? { clientId: settings.AZURE_CLIENT_ID } : {}),
    timeoutInMs: settings.CONTENT_SAFETY_TIMEOUT_MS,
  } as const;
}

function outputCheckFrom(settings: Settings) {
  // Without an endpoint (local only) there is no service to ask: the check is off with the classifier.
  if (!settings.CONTENT_SAFETY_ENDPOINT || settings.OUTPUT_CHECK === 'off') return undefined;
  return { timeoutInMs: settings.OUTPUT_CHECK_TIMEOUT_MS } as const;
}

/** The validated settings as the code uses them: typed names, units in the names, lists split. */
function configFrom(settings: Settings, imageProvider: ImageProviderConfig) {
  return {
    storage: storageFrom(settings),
    imageProvider,
    /** A name from the model catalogue, not retired in the configured cloud. */
    model: settings.IMAGE_MODEL,
    imageRequestTimeoutInSeconds: settings.IMAGE_REQUEST_TIMEOUT_SECONDS,
    /** The image deployment's quota; all instances together pace their calls to it. */
    imageRequestsPerMinute: settings.IMAGE_REQUESTS_PER_MINUTE,
    /** How long a job may keep failing with transient errors before it ends as ProviderUnavailable. */
    jobRetryDeadlineInSeconds: settings.JOB_RETRY_DEADLINE_SECONDS,
    sasExpiryInMinutes: settings.SAS_EXPIRY_MINUTES,
    promptMaxChars: settings.PROMPT_MAX_CHARS,
    maxImagesPerJob: settings.MAX_IMAGES_PER_JOB,
    maxEditImages: settings.MAX_EDIT_IMAGES,
    /** The most bytes the pictures of one edit or variation (mask included) may add up to. */
    maxEditInputBytes: settings.MAX_EDIT_INPUT_MIB * 1024 * 1024,
    extraBlockedTerms: list(settings.PROMPT_BLOCKED_TERMS_EXTRA),
    statusRetryAfterInSeconds: settings.STATUS_RETRY_AFTER_SECONDS,
    /** Partial images asked for per picture where the model streams (0: never stream); see jobs/previews.ts. */
    partialImages: settings.PARTIAL_IMAGES,
    /** Base URL used in Operation-Location when the service sits behind a proxy that rewrites the host. */
    publicBaseUrl: settings.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    /** The host name App Service gives the app (WEBSITE_HOSTNAME); links are built from it, never from a client's Host. */
    serviceHostname: settings.WEBSITE_HOSTNAME,
    tenants: tenantsFrom(settings),
    /** The first signs status tokens; all verify (rotation). */
    statusTokenSecrets: statusSecretsFrom(settings),
    statusTokenLifetimeInMinutes: settings.STATUS_TOKEN_MINUTES,
    /** The default retention; a school's TENANTS retentionDays wins for its own data (retentionDaysOf). */
    retentionDays: settings.RETENTION_DAYS,
    /** How long the record of access is kept (privacy/accessLog.ts). */
    accessLogRetentionDays: settings.ACCESS_LOG_RETENTION_DAYS,
    /** Browser origins (the LMS pages) allowed to read job status with a status token. */
    corsAllowedOrigins: originsFrom(settings),
    webhooks: webhooksFrom(settings),
    /** The classifier layer; undefined (off) only outside Azure, where CONTENT_SAFETY_ENDPOINT may be empty. */
    contentSafety: contentSafetyFrom(settings),
    /** The output check of every picture before anyone sees it (safety/outputCheck.ts); undefined when off. */
    outputCheck: outputCheckFrom(settings),
  } as const;
}

/** How long a school's jobs, pictures and safety events are kept: its own retentionDays, else RETENTION_DAYS. */
export function retentionDaysOf(config: { readonly retentionDays: number }, tenant: Pick<Tenant, 'retentionDays'> | undefined): number {
  return tenant?.retentionDays ?? config.retentionDays;
}

/**
 * The telemetry settings alone: telemetry starts before the function files load (and before the rest of
 * the configuration is read), so that the Functions instrumentation can patch @azure/functions first.
 */
export function telemetrySettingsFrom(env: Env = process.env): TelemetrySettings {
  const parsed = settingsSchema.pick({ APPLICATIONINSIGHTS_CONNECTION_STRING: true, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: true, LOCAL_TRACES_FILE: true, LOCAL_TRACES_MAX_MB: true }).safeParse(env);
  if (!parsed.success) throw new ConfigurationError(`Invalid settings: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  const settings = parsed.data;
  return {
    ...(settings.APPLICATIONINSIGHTS_CONNECTION_STRING ? { connectionString: settings.APPLICATIONINSIGHTS_CONNECTION_STRING } : {}),
    ...(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ? { authenticationString: settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING } : {}),
    ...(settings.LOCAL_TRACES_FILE ? { localTracesFile: settings.LOCAL_TRACES_FILE } : {}),
    localTracesMaxBytes: settings.LOCAL_TRACES_MAX_MB * 1024 * 1024,
  };
}

/** The configuration type is derived from the settings schema and its mapping, not written beside them. */
export type AppConfig = Readonly<ReturnType<typeof configFrom>>;

/**
 * Reads and validates every setting; throws a ConfigurationError naming each bad one, and for a model that
 * is retired in the configured cloud (on `now`), naming its replacement.
 */
export function loadConfig(env: Env = process.env, now: Date = new Date()): AppConfig {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'settings');
      return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigurationError(`Invalid settings: ${problems.join('; ')}`);
  }
  const settings = parsed.data;
  const imageProvider = imageProviderFrom(settings);
  const lifecycle = lifecycleVerdict(getModel(settings.IMAGE_MODEL), cloudOf(imageProvider), now);
  if (lifecycle.state === 'retired') throw new ConfigurationError(lifecycle.message);
  return configFrom(settings, imageProvider);
}
