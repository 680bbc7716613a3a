import createContentSafetyClient, { isUnexpected, type ContentSafetyClient } from '@azure-rest/ai-content-safety';
import type { TokenCredential } from '@azure/identity';
import type { TenantSafety } from '../config/tenants';
import { createCredential } from '../storage/clients';
import { judgeClassifierAnswers, serviceCategories, type ClassifierAnswers, type ClassifierFault, type ClassifierVerdict } from './classifierPolicy';
import { imageForAnalysis } from './imageForAnalysis';

/**
 * The classifier layer: Azure AI Content Safety through its official SDK (@azure-rest/ai-content-safety),
 * keyless with the app's managed identity in Azure ('Cognitive Services User' on the account, infra/app/rbac.bicep),
 * or with a key locally (the stand-in in local/contentSafety/ accepts any). Two calls per prompt, in parallel:
 * `text:analyze` (hate, sexual, violence, self-harm with severities) and `text:shieldPrompt` (Prompt Shields:
 * "ignore your instructions" attacks). The verdict is judgeClassifierAnswers' (classifierPolicy.ts).
 *
 * API version 2024-09-01: the newest stable (GA) version, and the first with both operations (the SDK 1.0.1
 * defaults to 2023-10-01, which has no shieldPrompt). Sources, read 2026-11-25: the REST spec
 * Azure/azure-rest-api-specs specification/cognitiveservices/data-plane/ContentSafety/stable/2024-09-01/
 * contentsafety.json (stable folders: 2023-10-01 and 2024-09-01 only), and Microsoft Learn's "Quickstart:
 * Prompt Shields" (which calls text:shieldPrompt?api-version=2024-09-01). Shapes used:
 *   POST {endpoint}/contentsafety/text:analyze?api-version=2024-09-01
 *     { text, categories: [Hate, SelfHarm, Sexual, Violence], outputType: FourSeverityLevels }
 *     → { blocklistsMatch: [], categoriesAnalysis: [{ category, severity: 0|2|4|6 }] }
 *   POST {endpoint}/contentsafety/text:shieldPrompt?api-version=2024-09-01
 *     { userPrompt, documents: [] } → { userPromptAnalysis: { attackDetected }, documentsAnalysis: [] }
 *   errors: { error: { code, message, target?, details?, innererror? } } and an x-ms-error-code header
 * Both take at most 10,000 characters (overview, "Input requirements"); a longer prompt is checked in parts.
 * Rate limit (overview, "Query rates"): 1,000 requests per 10 seconds per operation on F0 and S0.
 *
 * The output check (safety/outputCheck.ts) uses the third operation, on every picture before anyone sees it,
 * through the SDK's typed route:
 *   POST {endpoint}/contentsafety/image:analyze?api-version=2024-09-01
 *     { image: { content: <base64> }, categories: [Hate, SelfHarm, Sexual, Violence], outputType: FourSeverityLevels }
 *     → { categoriesAnalysis: [{ category, severity: 0|2|4|6 }] }
 * judged against the same per-school thresholds as the prompt (there is no Prompt Shields for pictures).
 */

export const contentSafetyApiVersion = '2024-09-01';

export interface ContentSafetyConfig {
  readonly endpoint: string;
  /** Local development against the stand-in only; absent means keyless (managed identity). */
  readonly apiKey?: string;
  readonly clientId?: string;
  readonly timeoutInMs: number;
}

/** A call that gave no verdict; `fault` says why, for the fault policy. */
export class ClassifierUnavailableError extends Error {
  constructor(readonly fault: ClassifierFault, options?: { cause?: unknown }) {
    super(`content safety call failed: ${fault.kind}${fault.kind === 'status' ? ` ${fault.status}` : ''}`, options);
    this.name = 'ClassifierUnavailableError';
  }
}

export interface ClassifierResult extends ClassifierVerdict {
  /** Wall time of both calls, for the log and the corpus figures. */
  readonly durationMs: number;
}

export interface ImageCheckResult extends ClassifierResult {
  /** The service was sent a resized copy (safety/imageForAnalysis.ts), not the stored bytes. */
  readonly resized: boolean;
}

export interface ImageCheckOptions {
  readonly timeoutInMs: number;
}

export interface ContentSafety {
  /** The verdict for one prompt under a school's settings; throws ClassifierUnavailableError when there is none. */
  check(prompt: string, safety: TenantSafety): Promise<ClassifierResult>;
  /** The verdict for one picture (PNG, JPEG or WebP bytes) under the same thresholds; throws ClassifierUnavailableError when there is none. */
  checkImage(bytes: Buffer, safety: TenantSafety, options: ImageCheckOptions): Promise<ImageCheckResult>;
}

const maxCharsPerCall = 10_000;

function parts(text: string): string[] {
  const codePoints = [...text];
  if (codePoints.length <= maxCharsPerCall) return [text];
  const chunks: string[] = [];
  for (let start = 0; start < codePoints.length; start += maxCharsPerCall) chunks.push(codePoints.slice(start, start + maxCharsPerCall).join(''));
  return chunks;
}

function retryAfterOf(headers: Record<string, string | undefined>): number | undefined {
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

function faultOf(error: unknown, signal: AbortSignal): ClassifierUnavailableError {
  if (error instanceof ClassifierUnavailableError) return error;
  // The SDK throws AbortError when our timeout aborts the call; anything else thrown is the connection.
  if (signal.aborted) return new ClassifierUnavailableError({ kind: 'timeout' }, { cause: error });
  return new ClassifierUnavailableError({ kind: 'network' }, { cause: error });
}

/**
 * A call whose connection fails before any answer is made once more, within the same timeout: a kept-alive
 * socket that the server closed as we reused it fails that way (seen in the test suite after a 5 s pause,
 * Node's default keep-alive timeout) and costs milliseconds to try again. Answers (5xx, 429) and timeouts
 * still fail closed at once.
 */
async function againAfterConnectionFailure<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (signal.aborted || error instanceof ClassifierUnavailableError) throw error;
    return call();
  }
}

export function createContentSafety(config: ContentSafetyConfig): ContentSafety {
  const credential: TokenCredential | { readonly key: string } = config.apiKey ? { key: config.apiKey } : createCredential(config.clientId);
  const client: ContentSafetyClient = createContentSafetyClient(config.endpoint.replace(/\/+$/, ''), credential, {
    apiVersion: contentSafetyApiVersion,
    // Fail closed at once: the student can press again, and a retry would only stretch the submit.
    retryOptions: { maxRetries: 0 },
    // The local stand-in answers on http://; the SDK refuses plain HTTP unless told (Azure's endpoints are https).
    allowInsecureConnection: new URL(config.endpoint).protocol === 'http:',
  });

  async function analyze(text: string, abortSignal: AbortSignal): Promise<ClassifierAnswers['categoriesAnalysis']> {
    const response = await client.path('/text:analyze').post({
      body: { text, categories: [...serviceCategories], outputType: 'FourSeverityLevels' },
      abortSignal,
    });
    if (isUnexpected(response)) throw statusFault(Number(response.status), response.headers);
    const analysis = (response.body as { categoriesAnalysis?: unknown }).categoriesAnalysis;
    if (!Array.isArray(analysis)) throw new ClassifierUnavailableError({ kind: 'malformed' });
    return analysis as ClassifierAnswers['categoriesAnalysis'];
  }

  async function shield(text: string, abortSignal: AbortSignal): Promise<boolean> {
    // The SDK 1.0.1 has no typed route for Prompt Shields (GA after it): the same client, pipeline and credential, unchecked path.
    const response = await client.pathUnchecked('/text:shieldPrompt').post({ body: { userPrompt: text, documents: [] }, abortSignal });
    const status = Number(response.status);
    if (status !== 200) throw statusFault(status, response.headers);
    const detected = (response.body as { userPromptAnalysis?: { attackDetected?: unknown } } | undefined)?.userPromptAnalysis?.attackDetected;
    if (typeof detected !== 'boolean') throw new ClassifierUnavailableError({ kind: 'malformed' });
    return detected;
  }

  async function analyzeImage(content: Buffer, abortSignal: AbortSignal): Promise<ClassifierAnswers['categoriesAnalysis']> {
    const response = await client.path('/image:analyze').post({
      body: { image: { content: content.toString('base64') }, categories: [...serviceCategories], outputType: 'FourSeverityLevels' },
      abortSignal,
    });
    if (isUnexpected(response)) throw statusFault(Number(response.status), response.headers);
    const analysis: unknown = response.body.categoriesAnalysis;
    if (!Array.isArray(analysis)) throw new ClassifierUnavailableError({ kind: 'malformed' });
    return response.body.categoriesAnalysis;
  }

  return {
    async checkImage(bytes, safety, options) {
      // Resizing is ours, not the service's: it happens before the clock starts, and its failure is not a fault of the service.
      const image = await imageForAnalysis(bytes);
      const startedAt = performance.now();
      const signal = AbortSignal.timeout(options.timeoutInMs);
      try {
        const analysis = await againAfterConnectionFailure(() => analyzeImage(image.bytes, signal), signal);
        // No attackDetected: Prompt Shields judges text only, so only the four categories can refuse a picture.
        const verdict = judgeClassifierAnswers({ categoriesAnalysis: analysis }, safety);
        return { ...verdict, durationMs: Math.round(performance.now() - startedAt), resized: image.resized };
      } catch (error) {
        throw faultOf(error, signal);
      }
    },
    async check(prompt, safety) {
      const startedAt = performance.now();
      const signal = AbortSignal.timeout(config.timeoutInMs);
      const chunks = parts(prompt);
      try {
        const [analyses, attacks] = await Promise.all([
          Promise.all(chunks.map((chunk) => againAfterConnectionFailure(() => analyze(chunk, signal), signal))),
          safety.promptShield ? Promise.all(chunks.map((chunk) => againAfterConnectionFailure(() => shield(chunk, signal), signal))) : Promise.resolve([]),
        ]);
        const verdict = judgeClassifierAnswers(
          { categoriesAnalysis: analyses.flat(), ...(safety.promptShield ? { attackDetected: attacks.some(Boolean) } : {}) },
          safety,
        );
        return { ...verdict, durationMs: Math.round(performance.now() - startedAt) };
      } catch (error) {
        throw faultOf(error, signal);
      }
    },
  };
}

function statusFault(status: number, headers: Record<string, string | undefined>): ClassifierUnavailableError {
  const retryAfterInSeconds = retryAfterOf(headers);
  return new ClassifierUnavailableError({ kind: 'status', status, ...(retryAfterInSeconds !== undefined ? { retryAfterInSeconds } : {}) });
}
