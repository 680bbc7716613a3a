import { z } from 'zod';
import { cloudOf, type AppConfig } from '../config/config';
import { errorMessage } from '../errors';
import { lifecycleVerdict } from '../models/modelLifecycle';
import type { Logger } from '../logger';
import type { ModelEntry } from '../models/modelCatalogue';
import { deploymentStateMessage, type DeploymentHealth, type DeploymentPool } from '../provider/deploymentPool';
import type { ImageProvider } from '../provider/imageProvider';
import type { ContentSafety } from '../safety/contentSafety';
import type { JobQueue } from '../storage/jobQueue';

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: Readonly<Record<'storage' | 'imageProvider' | 'model', { ok: boolean; message?: string }>>;
  /** Things to act on soon that do not make the service unhealthy yet (a model near its retirement). */
  readonly warnings: readonly string[];
  /** Each image deployment's state as this instance sees it (its circuit breaker). */
  readonly deployments: readonly DeploymentHealth[];
}

const checkSchema = z.object({ ok: z.boolean(), message: z.string().optional() });

/** GET /api/health's answer (functions/health.ts); a schema, so the OpenAPI document is made from it. */
export const healthResponseSchema = z.object({
  status: z.enum(['Healthy', 'Unhealthy']),
  checks: z.object({ storage: checkSchema, imageProvider: checkSchema, model: checkSchema }),
  warnings: z.array(z.string()).optional().meta({ description: 'Things to act on soon, such as a model near its retirement date.' }),
  deployments: z
    .array(
      z.object({
        name: z.string(),
        region: z.string().optional(),
        priority: z.int(),
        state: z.enum(['available', 'coolingDown', 'probing']),
        until: z.string().optional().meta({ description: 'While coolingDown: when it gets a probe call.' }),
      }),
    )
    .meta({ description: "The image model's deployments (IMAGE_DEPLOYMENTS) as the instance that answered sees them: coolingDown after it kept failing calls (they go to the others), probing while one call checks whether it is back." }),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

const checkTimeoutInMs = 5_000;

/**
 * Storage must answer and the image provider's credentials must be obtainable; settings were validated at
 * start. The endpoint is anonymous, so it says which check failed in plain words; the error itself (which
 * may name hosts or accounts) goes to the log.
 */
/** What the health check looks at: the model's lifecycle, storage, the provider's credentials, the classifier. */
export interface HealthDeps {
  readonly config: Pick<AppConfig, 'imageProvider'>;
  readonly profile: ModelEntry;
  ensureStorage(): Promise<void>;
  readonly jobQueue: Pick<JobQueue, 'probe'>;
  readonly imagePool: Pick<DeploymentPool<Pick<ImageProvider, 'checkCredentials'>>, 'health' | 'primary'>;
  readonly contentSafety: ContentSafety | undefined;
}

export async function checkHealth(services: HealthDeps, log: Logger, now: Date = new Date()): Promise<HealthReport> {
  // The model is checked on every call: a process that started before the retirement date must turn unhealthy on it.
  const lifecycle = lifecycleVerdict(services.profile, cloudOf(services.config.imageProvider), now);
  const model = lifecycle.state === 'retired' ? { ok: false, message: lifecycle.message } : { ok: true };
  const [storage, imageProvider] = await Promise.all([
    check('Storage does not answer.', log, async () => {
      await services.ensureStorage();
      await services.jobQueue.probe();
    }),
    check('Credentials for the image provider cannot be obtained.', log, () => services.imagePool.primary.provider.checkCredentials()),
  ]);
  const deployments = services.imagePool.health();
  return {
    healthy: storage.ok && imageProvider.ok && model.ok,
    checks: { storage, imageProvider, model },
    deployments,
    warnings: [
      // The same words the logs use when a deployment goes out or is probed.
      ...deployments.filter((deployment) => deployment.state !== 'available').map((deployment) => deploymentStateMessage(deployment).message),
      ...(lifecycle.state === 'retiring' ? [lifecycle.message] : []),
      // Only possible outside Azure (start-up requires the setting there), but worth saying wherever it happens.
      ...(services.contentSafety ? [] : ['CONTENT_SAFETY_ENDPOINT is empty: the content safety classifier is off, so only the word screen and the provider\'s own filter check prompts.']),
    ],
  };
}

async function check(failure: string, log: Logger, probe: () => Promise<void>): Promise<{ ok: boolean; message?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutInMs} ms`)), checkTimeoutInMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    log.error(`Health: ${failure} ${errorMessage(error)}`);
    return { ok: false, message: failure };
  } finally {
    clearTimeout(timer);
  }
}
