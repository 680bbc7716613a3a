import { APIConnectionError, APIConnectionTimeoutError } from 'openai';
import type { ImageProvider } from '../../shared/provider/imageProvider';
import type { ProviderPacer } from '../../shared/provider/pacer';
import { classifyProviderFailure } from '../../shared/provider/providerFailure';
import type { ContentSafety } from '../../shared/safety/contentSafety';
import type { ImageStore } from '../../shared/storage/imageStore';
import { jobMetrics } from '../../shared/telemetry/metrics';
import { SpanKind, withSpan } from '../../shared/telemetry/spans';

/**
 * Spans and meters around the services the worker calls, added in the composition root (services.ts) so the
 * modules themselves stay as they are: each provider call, each blob write, each Content Safety call, each
 * wait for a slot in the shared budget. Only ids, codes and counts are recorded (spans.ts).
 */

/** How the provider answered, for the meters: 429s apart from other 4xx, 5xx and auth failures apart. */
export function providerAnswerOf(error: unknown): string {
  if (error instanceof APIConnectionTimeoutError) return 'timeout';
  if (error instanceof APIConnectionError) return 'network';
  const status: unknown = error instanceof Error ? Reflect.get(error, 'status') : undefined;
  if (typeof status === 'number') {
    if (status === 429) return '429';
    if (status === 401 || status === 403) return 'auth';
    if (status >= 500) return '5xx';
    return classifyProviderFailure(error).code === 'ContentFiltered' ? 'filtered' : '4xx';
  }
  return classifyProviderFailure(error).code === 'ContentFiltered' ? 'filtered' : 'error';
}

export function traceImageProvider(provider: ImageProvider, facts: { readonly model: string; readonly deployment: string }): ImageProvider {
  const call = <T extends { readonly n: number }, R extends { readonly images: readonly unknown[] }>(name: string, request: T, send: (request: T) => Promise<R>): Promise<R> =>
    withSpan(
      name,
      { model: facts.model, deployment: facts.deployment, images: request.n },
      async (span) => {
        const startedAt = performance.now();
        try {
          const result = await send(request);
          jobMetrics.providerCall({ ...facts, answer: 'ok', ms: performance.now() - startedAt });
          span.set({ outcome: 'ok', images: result.images.length });
          return result;
        } catch (error) {
          const answer = providerAnswerOf(error);
          const errorCode = classifyProviderFailure(error).code;
          jobMetrics.providerCall({ ...facts, answer, errorCode, ms: performance.now() - startedAt });
          span.set({ outcome: answer });
          span.fail(errorCode);
          throw error;
        }
      },
      { kind: SpanKind.CLIENT },
    );
  return {
    generate: (request) => call('provider.images.generate', request, (r) => provider.generate(r)),
    edit: (request) => call('provider.images.edit', request, (r) => provider.edit(r)),
    checkCredentials: () => provider.checkCredentials(),
  };
}

export function traceImageStore(store: ImageStore): ImageStore {
  const write = (kind: string, jobId: string, index: number, work: () => Promise<void>) =>
    withSpan('blob.write', { jobId, blobKind: kind, imageIndex: index }, () => work(), { kind: SpanKind.CLIENT });
  return {
    ...store,
    save: (jobId, index, bytes, details) => write('image', jobId, index, () => store.save(jobId, index, bytes, details)),
    saveThumbnail: (jobId, index, webp, size) => write('thumbnail', jobId, index, () => store.saveThumbnail(jobId, index, webp, size)),
    savePreview: (jobId, index, bytes, format) => write('preview', jobId, index, () => store.savePreview(jobId, index, bytes, format)),
  };
}

/** The wait a granted slot asks for (its start within the window), or until the next window when refused. */
export function measurePacer(pacer: ProviderPacer, deployment: string): ProviderPacer {
  return {
    secondsPerCall: pacer.secondsPerCall,
    async tryAcquire(now = new Date()) {
      const slot = await pacer.tryAcquire(now);
      jobMetrics.pacerWait({ deployment, ms: (slot.granted ? slot.startAt : slot.retryAt).getTime() - now.getTime() });
      return slot;
    },
  };
}

export function traceContentSafety(client: ContentSafety): ContentSafety {
  // The text and the image check are measured alike: one span each, and the call counted by its outcome.
  const checked = <Verdict extends { readonly refused: boolean }>(kind: 'text' | 'image', work: () => Promise<Verdict>): Promise<Verdict> =>
    withSpan(
      `contentSafety.${kind}`,
      {},
      async (span) => {
        try {
          const verdict = await work();
          jobMetrics.contentSafetyCall({ kind, outcome: verdict.refused ? 'refused' : 'ok' });
          span.set({ outcome: verdict.refused ? 'refused' : 'ok' });
          return verdict;
        } catch (error) {
          jobMetrics.contentSafetyCall({ kind, outcome: 'unavailable' });
          throw error;
        }
      },
      { kind: SpanKind.CLIENT },
    );
  return {
    check: (prompt, safety) => checked('text', () => client.check(prompt, safety)),
    checkImage: (bytes, safety, options) => checked('image', () => client.checkImage(bytes, safety, options)),
  };
}
