import { errorMessage } from './errors';
import type { Services } from './services';

export interface HealthReport {
  readonly healthy: boolean;
  readonly checks: Readonly<Record<'storage' | 'imageProvider', { ok: boolean; message?: string }>>;
}

const checkTimeoutInMs = 5_000;

/** Storage must answer and the image provider's credentials must be obtainable; settings were validated at start. */
export async function checkHealth(services: Services): Promise<HealthReport> {
  const [storage, imageProvider] = await Promise.all([
    check(async () => {
      await services.ensureStorage();
      await services.jobQueue.getProperties();
    }),
    check(() => services.imageProvider.checkCredentials()),
  ]);
  return { healthy: storage.ok && imageProvider.ok, checks: { storage, imageProvider } };
}

async function check(probe: () => Promise<void>): Promise<{ ok: boolean; message?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutInMs} ms`)), checkTimeoutInMs);
  });
  try {
    await Promise.race([probe(), timeout]);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: errorMessage(error) };
  } finally {
    clearTimeout(timer);
  }
}
