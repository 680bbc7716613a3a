import { ConfigurationError } from '../errors';
import { parseImageDeployments, shortFormDeployment, type ImageDeployment } from './imageDeployments';
import { getModel, type Cloud } from '../models/modelCatalogue';
import { lifecycleVerdict } from '../models/modelLifecycle';
import { literalTargetRefusal } from '../addresses/targetGuard';
import type { TelemetrySettings } from '../telemetry/setup';
import { settingsSchema, type Env, type Settings } from './settings';
import { hashApiKey, keysOf, localDevelopmentKey, localDevelopmentWebhookSecret, parseTenants, type Tenant } from './tenants';

/** The status-token secret in local.settings.example.json; start-up refuses it in Azure. */
export const localDevelopmentStatusSecret = 'local-development-status-token-secret-not-for-azure';

/**
 * The typed configuration, derived from the settings (settings.ts) once at start-up.
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

function imageProviderFrom(settings: Settings, pool: readonly ImageDeployment[] | undefined): ImageProviderConfig {
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
  const keyless = {
    apiVersion: settings.AZURE_OPENAI_API_VERSION,
    ...(settings.AZURE_OPENAI_API_KEY ? { apiKey: settings.AZURE_OPENAI_API_KEY } : {}),
    ...(settings.AZURE_CLIENT_ID ? { clientId: settings.AZURE_CLIENT_ID } : {}),
  };
  // With a list, its first deployment stands for the provider where one is named (the health check, logs).
  const [first] = pool ?? [];
  if (first) return { kind: 'azure-openai', endpoint: first.endpoint, deployment: first.deployment, ...keyless };
  const missing = (['AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_DEPLOYMENT'] as const).filter((name) => !settings[name]);
  if (missing.length > 0 || !settings.AZURE_OPENAI_ENDPOINT || !settings.AZURE_OPENAI_DEPLOYMENT) {
    throw new ConfigurationError(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required when IMAGE_PROVIDER is azure-openai ` +
        '(the resource endpoint, e.g. https://my-resource.openai.azure.com, and the image model deployment name), unless IMAGE_DEPLOYMENTS lists the deployments.',
    );
  }
  return { kind: 'azure-openai', endpoint: settings.AZURE_OPENAI_ENDPOINT, deployment: settings.AZURE_OPENAI_DEPLOYMENT, ...keyless };
}

/** IMAGE_DEPLOYMENTS, parsed; undefined when it is not set (the one-deployment short form). */
function deploymentListFrom(settings: Settings): { deployments: ImageDeployment[]; warnings: string[] } | undefined {
  if (!settings.IMAGE_DEPLOYMENTS) return undefined;
  if (settings.IMAGE_PROVIDER === 'openai') throw new ConfigurationError('IMAGE_DEPLOYMENTS is for IMAGE_PROVIDER azure-openai: OpenAI has no deployments.');
  return parseImageDeployments(settings.IMAGE_DEPLOYMENTS, { model: settings.IMAGE_MODEL, inAzure: settings.WEBSITE_SITE_NAME !== undefined });
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
function configFrom(settings: Settings, imageProvider: ImageProviderConfig, pool: { deployments: ImageDeployment[]; warnings: string[] } | undefined) {
  return {
    storage: storageFrom(settings),
    imageProvider,
    /** The deployments the worker calls, each paced to its own quota (provider/deploymentPool.ts): IMAGE_DEPLOYMENTS, or the one of the short form. */
    imageDeployments: pool?.deployments ?? [shortFormDeployment(imageProvider, settings.IMAGE_MODEL, settings.IMAGE_REQUESTS_PER_MINUTE)],
    /** A failing deployment of a pool is left out this long before its probe (doubling up to 10 times this). */
    imageDeploymentCoolDownInSeconds: settings.IMAGE_DEPLOYMENT_COOLDOWN_SECONDS,
    /** What start-up should warn of in the settings that it accepted (an unknown region). */
    settingWarnings: pool?.warnings ?? [],
    /** A name from the model catalogue, not retired in the configured cloud. */
    model: settings.IMAGE_MODEL,
    imageRequestTimeoutInSeconds: settings.IMAGE_REQUEST_TIMEOUT_SECONDS,
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
  const pool = deploymentListFrom(settings);
  const imageProvider = imageProviderFrom(settings, pool?.deployments);
  const lifecycle = lifecycleVerdict(getModel(settings.IMAGE_MODEL), cloudOf(imageProvider), now);
  if (lifecycle.state === 'retired') throw new ConfigurationError(lifecycle.message);
  return configFrom(settings, imageProvider, pool);
}
