import { z } from 'zod';
import { defaultModelName, modelNames } from '../models/modelCatalogue';

/**
 * Every setting the service reads, validated once at start-up. The names are the same in code,
 * local.settings.example.json, the settings table in docs/configuration.md and infra/. A missing or wrong setting stops start-up
 * with a message that names it.
 */

export type Env = Record<string, string | undefined>;

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

export const settingsSchema = z.object({
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
  // A JSON list of deployments of the model (config/imageDeployments.ts); the two settings above are its short form.
  IMAGE_DEPLOYMENTS: optionalText,
  // How long a failing deployment of a pool is left out before a probe call; each failed probe doubles it, up to 10 times this.
  IMAGE_DEPLOYMENT_COOLDOWN_SECONDS: integer('IMAGE_DEPLOYMENT_COOLDOWN_SECONDS', 1, 600, 30),
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

export type Settings = z.infer<typeof settingsSchema>;

/** Every setting name this module reads (infra/ and the table in docs/configuration.md are checked against it). */
export const settingNames: readonly string[] = Object.keys(settingsSchema.shape);
