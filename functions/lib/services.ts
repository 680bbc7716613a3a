import { cloudOf, loadConfig, type AppConfig } from '../../shared/config/config';
import { createImageProvider, type ImageProvider } from '../../shared/provider/imageProvider';
import { createImageStore, type ImageStore } from '../../shared/storage/imageStore';
import { createJobRequestParser, type JobRequestParser } from '../../shared/jobs/jobRequestParser';
import { createJobStore, type JobStore } from '../../shared/storage/jobStore';
import { loadMetaprompt, type Metaprompt } from '../../shared/safety/metaprompt';
import { getModel, type ModelEntry } from '../../shared/models/modelCatalogue';
import { lifecycleVerdict } from '../../shared/models/modelLifecycle';
import { createPseudonyms, type Pseudonyms } from '../../shared/access/pseudonyms';
import { loadDefaultTerms, type PromptScreen } from '../../shared/safety/promptScreen';
import { createTenantScreens } from '../../shared/safety/tenantScreens';
import { createDefaultBullyingGuard, type BullyingGuard } from '../../shared/safety/bullyingGuard';
import type { Tenant } from '../../shared/config/tenants';
import { ConfigurationError } from '../../shared/errors';
import { createCounterStore } from '../../shared/storage/counterStore';
import { createIdempotencyStore, type IdempotencyStore } from '../../shared/access/idempotency';
import { createProviderPacer, type ProviderPacer } from '../../shared/provider/pacer';
import { createDeploymentPool, deploymentStateMessage, type DeploymentPool } from '../../shared/provider/deploymentPool';
import type { ImageDeployment } from '../../shared/config/imageDeployments';
import { defaultBreakerOptions } from '../../shared/provider/circuitBreaker';
import { createLineStore, type LineStore } from '../../shared/storage/lineStore';
import { createLinePositions, type LinePositions } from '../../shared/storage/linePositions';
import { createPresenceStore, type PresenceStore } from '../../shared/storage/presenceStore';
import { weightOf } from '../../shared/config/tenants';
import { createJobQueue, type JobQueue } from '../../shared/storage/jobQueue';
import { createUploadStore, type UploadStore } from '../../shared/storage/uploadStore';
import { createQuotas, type Quotas } from '../../shared/access/quotas';
import { createSasLinkSigner, type SasLinkSigner } from '../../shared/storage/sasLinks';
import { createStatusTokens, type StatusTokens } from '../../shared/access/statusTokens';
import { createSessionTokens, type SessionTokens } from '../../shared/sessions/sessionTokens';
import { createSessionReads, type SessionReads } from '../../shared/sessions/sessionReads';
import { createStorageClients } from '../../shared/storage/clients';
import { storageNames } from '../../shared/storage/storageNames';
import { createJobIndex, type JobIndex } from '../../shared/storage/jobIndex';
import { createWebhookQueue, type WebhookQueue } from '../../shared/webhooks/outbox/webhookQueue';
import { createJobEvents, followStatusChanges, type JobEvents } from '../../shared/storage/jobEvents';
import { queueSafetyWebhookFor, queueWebhookFor } from '../../shared/webhooks/outbox/outbox';
import { sendUrgentSafetyWebhook } from '../../shared/webhooks/delivery';
import type { RefusalReports } from '../../shared/safety/refusals';
import { consoleLogger } from '../../shared/logger';
import { createContentSafety, type ContentSafety } from '../../shared/safety/contentSafety';
import { createSafetyEventStore, type SafetyEventStore } from '../../shared/storage/safetyEventStore';
import { createOperationStore, type OperationStore } from '../../shared/privacy/operationStore';
import { createErasureQueue, type ErasureQueue } from '../../shared/privacy/erasureQueue';
import { createAccessLogStore, type AccessLogStore } from '../../shared/storage/accessLogStore';
import { measureJobStore } from './jobOutcomes';
import { createQueueStats, type QueueStats } from '../../shared/storage/queueStats';
import { measurePacer, traceContentSafety, traceImageProvider, traceImageStore } from './traced';

/**
 * The composition root: every long-lived object the functions use, built once per process from the
 * validated configuration. Nothing here talks to the network until it is used.
 */
export interface Services {
  readonly config: AppConfig;
  /** The configured model's catalogue entry. */
  readonly profile: ModelEntry;
  readonly metaprompt: Metaprompt;
  /** The default screen: the disallow list and PROMPT_BLOCKED_TERMS_EXTRA. */
  readonly promptScreen: PromptScreen;
  /** The screen for one school: the default one with the tenant's safety.terms added and removed. */
  promptScreenFor(tenant: Tenant): PromptScreen;
  /** Refuses pictures that make fun of a real, identifiable person (safety/bullyingGuard.ts). */
  readonly bullyingGuard: BullyingGuard;
  /** The classifier layer (Azure AI Content Safety); undefined when CONTENT_SAFETY_ENDPOINT is empty (local only). */
  readonly contentSafety: ContentSafety | undefined;
  /** Refused prompts, for the school's teachers (Table storage, partition per tenant). */
  readonly safetyEvents: SafetyEventStore;
  /** Where a recorded refusal goes: the school's safety.refused (or, urgent, safety.urgent) webhook. */
  readonly refusalReports: RefusalReports;
  readonly requestParser: JobRequestParser;
  /** The longest student prompt: PROMPT_MAX_CHARS, or less where the metaprompt leaves less room. */
  readonly promptMaxChars: number;
  /** Job records; every change of status is followed by the index and webhooks (storage/jobEvents.ts). */
  readonly jobs: JobStore;
  /** The listing index (Table storage), beside the records. */
  readonly jobIndex: JobIndex;
  readonly jobEvents: JobEvents;
  readonly webhookQueue: WebhookQueue;
  readonly images: ImageStore;
  readonly uploads: UploadStore;
  readonly links: SasLinkSigner;
  readonly jobQueue: JobQueue;
  /** Depth and oldest message of every queue, for the sweep's metrics. */
  readonly queueStats: QueueStats;
  readonly quotas: Quotas;
  readonly idempotency: IdempotencyStore;
  /** The image model's deployments (IMAGE_DEPLOYMENTS, or the one of the short form), each paced, with its circuit breaker. */
  readonly imagePool: DeploymentPool<ImageProvider>;
  /** The pool's pace, for estimates. */
  readonly pacer: Pick<ProviderPacer, 'secondsPerCall'>;
  /** The jobs waiting for their calls, taken in turns (jobs/turns.ts) by the queue's messages as tickets. */
  readonly line: LineStore;
  /** A waiting job's place in the turns, for its status. */
  readonly linePositions: LinePositions;
  /** Who opened the studio lately: the estimates' forecast of classmates about to press (jobs/lineForecast.ts). */
  readonly presence: PresenceStore;
  readonly statusTokens: StatusTokens;
  /** Studio session tokens (sessions/), keyed from the same secrets as status tokens. */
  readonly sessionTokens: SessionTokens;
  /** How much each studio session may read from this instance (a loop of gallery reads took a core). */
  readonly sessionReads: SessionReads;
  readonly pseudonyms: Pseudonyms;
  /** Long-running operations other than jobs: a student's erasure (privacy/studentErasure.ts). */
  readonly operations: OperationStore;
  readonly erasureQueue: ErasureQueue;
  /** The record of access to children's data (privacy/accessLog.ts). */
  readonly accessLog: AccessLogStore;
  /** Creates the containers and queue the service writes to, once per process; cheap after the first call. */
  ensureStorage(): Promise<void>;
  metapromptFor(version: string): Metaprompt;
}

export function createServices(config: AppConfig): Services {
  const profile = getModel(config.model);
  const metaprompt = loadMetaprompt();
  const storage = createStorageClients(config.storage);
  const jobsContainer = storage.blobService.getContainerClient(storageNames.jobsContainer);
  const imagesContainer = storage.blobService.getContainerClient(storageNames.imagesContainer);
  const usageContainer = storage.blobService.getContainerClient(storageNames.usageContainer);
  const idempotencyContainer = storage.blobService.getContainerClient(storageNames.idempotencyContainer);
  const uploadsContainer = storage.blobService.getContainerClient(storageNames.uploadsContainer);
  const jobQueue = createJobQueue(storage.queueService.getQueueClient(storageNames.jobQueue));
  const webhookQueue = createWebhookQueue(storage.queueService.getQueueClient(storageNames.webhookQueue));
  const jobIndex = createJobIndex(storage.tableClient(storageNames.jobIndexTable));
  const safetyEvents = createSafetyEventStore(storage.tableClient(storageNames.safetyEventsTable));
  const operations = createOperationStore(storage.blobService.getContainerClient(storageNames.operationsContainer));
  const erasureQueue = createErasureQueue(storage.queueService.getQueueClient(storageNames.erasureQueue));
  const accessLog = createAccessLogStore(storage.tableClient(storageNames.accessLogTable));
  // One line per job queue: its messages are the line's tickets.
  const lineTable = storage.tableClient(storageNames.lineTable);
  const line = createLineStore(lineTable, storageNames.jobQueue);
  // Beside the line, in its table: who opened the studio lately.
  const presence = createPresenceStore(lineTable, storageNames.jobQueue);
  const refusalReports: RefusalReports = {
    refused: (event) => queueSafetyWebhookFor({ config, webhookQueue }, event),
    urgent: (event, log) => sendUrgentSafetyWebhook({ config, webhookQueue, safetyEvents }, event, { log }),
  };
  const jobEvents = createJobEvents({ index: jobIndex, line, queueWebhook: (job) => queueWebhookFor({ config, webhookQueue }, job) });
  // The student prompt gets whatever room the metaprompt leaves within the model's limit.
  const promptMaxChars = Math.min(config.promptMaxChars, profile.maxPromptChars - metaprompt.overheadChars);
  const metaprompts = new Map([[metaprompt.version, metaprompt]]);
  const counters = createCounterStore(usageContainer);
  // Keyed with the first status-token secret: the same secret family signs links and names students.
  const pseudonyms = createPseudonyms(config.statusTokenSecrets[0] ?? '');
  /** One deployment's client, through the official `openai` client, with spans and meters. */
  function imageProviderFor(deployment: ImageDeployment): ImageProvider {
    const provider = config.imageProvider.kind === 'azure-openai' ? { ...config.imageProvider, endpoint: deployment.endpoint, deployment: deployment.deployment } : config.imageProvider;
    return traceImageProvider(
      createImageProvider(provider, profile, {
        timeoutInSeconds: config.imageRequestTimeoutInSeconds,
        // The worker owns the retry policy (pacing, Retry-After, deadline, failover); the client must not retry on its own.
        maxRetries: 0,
      }),
      { model: profile.name, deployment: deployment.name },
    );
  }
  const imagePool = createDeploymentPool(
    config.imageDeployments.map((deployment) => ({
      ...deployment,
      pacer: measurePacer(createProviderPacer(counters, deployment.name, deployment.requestsPerMinute), deployment.name),
      provider: imageProviderFor(deployment),
    })),
    {
      breaker: { ...defaultBreakerOptions, coolDownMs: config.imageDeploymentCoolDownInSeconds * 1000, maxCoolDownMs: config.imageDeploymentCoolDownInSeconds * 10_000 },
      onStateChange: (_, health) => {
        const { level, message } = deploymentStateMessage(health);
        consoleLogger[level](message);
      },
    },
  );

  const promptScreens = (() => {
    try {
      return createTenantScreens([...loadDefaultTerms(), ...config.extraBlockedTerms], config.tenants);
    } catch (error) {
      throw new ConfigurationError(error instanceof Error ? error.message : String(error));
    }
  })();

  let storageReady: Promise<void> | undefined;
  function ensureStorage(): Promise<void> {
    storageReady ??= Promise.all([
      jobsContainer.createIfNotExists(),
      imagesContainer.createIfNotExists(),
      usageContainer.createIfNotExists(),
      idempotencyContainer.createIfNotExists(),
      uploadsContainer.createIfNotExists(),
      jobQueue.createIfNotExists(),
      webhookQueue.createIfNotExists(),
      jobIndex.createIfNotExists(),
      safetyEvents.createIfNotExists(),
      operations.createIfNotExists(),
      erasureQueue.createIfNotExists(),
      accessLog.createIfNotExists(),
      line.createIfNotExists(),
    ]).then(
      () => undefined,
      (error: unknown) => {
        storageReady = undefined;
        throw error;
      },
    );
    return storageReady;
  }

  return {
    config,
    profile,
    metaprompt,
    promptScreen: promptScreens.standard,
    promptScreenFor: (tenant) => promptScreens.forTenant(tenant),
    bullyingGuard: createDefaultBullyingGuard(),
    promptMaxChars,
    // Spans and meters wrap the clients here (functions/lib/traced.ts); no-ops while telemetry is off.
    contentSafety: config.contentSafety ? traceContentSafety(createContentSafety(config.contentSafety)) : undefined,
    safetyEvents,
    refusalReports,
    requestParser: createJobRequestParser(profile, cloudOf(config.imageProvider), { promptMaxChars, maxImagesPerJob: config.maxImagesPerJob, maxEditImages: config.maxEditImages }),
    jobs: followStatusChanges(
      measureJobStore(createJobStore(jobsContainer, { studentKeyOf: (job) => (job.request.user === undefined ? undefined : pseudonyms.studentKey(job.tenantId, job.request.user)) })),
      jobEvents,
      consoleLogger,
    ),
    jobIndex,
    jobEvents,
    webhookQueue,
    images: traceImageStore(createImageStore(imagesContainer)),
    uploads: createUploadStore(uploadsContainer),
    links: createSasLinkSigner(storage.blobService),
    jobQueue,
    queueStats: createQueueStats(storage.queueService),
    imagePool,
    quotas: createQuotas(counters, pseudonyms),
    idempotency: createIdempotencyStore(idempotencyContainer),
    // The estimates' pace: the pool's, over the deployments that take calls now.
    pacer: {
      get secondsPerCall() {
        return imagePool.secondsPerCall();
      },
    },
    line,
    presence,
    linePositions: createLinePositions({ line, present: () => presence.list(), queueLength: () => jobQueue.approximateLength(), weightOf: weightOf(config.tenants), studentKey: (tenantId, user) => pseudonyms.studentKey(tenantId, user) }),
    statusTokens: createStatusTokens(config.statusTokenSecrets, config.statusTokenLifetimeInMinutes),
    sessionTokens: createSessionTokens(config.statusTokenSecrets),
    sessionReads: createSessionReads(),
    pseudonyms,
    operations,
    erasureQueue,
    accessLog,
    ensureStorage,
    metapromptFor(version) {
      let found = metaprompts.get(version);
      if (!found) {
        found = loadMetaprompt(version);
        metaprompts.set(version, found);
      }
      return found;
    },
  };
}

let processServices: Services | undefined;

/** The services of this process, built on first use from process.env; a bad setting throws here. */
export function getServices(): Services {
  if (!processServices) {
    processServices = createServices(loadConfig());
    const lifecycle = lifecycleVerdict(processServices.profile, cloudOf(processServices.config.imageProvider), new Date());
    if (lifecycle.state === 'retiring') console.warn(`Warning: ${lifecycle.message}`);
    for (const warning of processServices.config.settingWarnings) console.warn(`Warning: ${warning}`);
  }
  return processServices;
}
