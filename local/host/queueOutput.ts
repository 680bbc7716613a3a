import { RestError, type QueueClient } from '@azure/storage-queue';
import type { RegisteredFunction, RpcInvocationResponse, RpcTypedData } from './functionsCore';
import type { QueueSettings } from './hostConfig';
import { queueServiceFor } from './queueTrigger';
import { resolveBindingExpressions, stringProperty } from './triggerBinding';

/**
 * Queue output bindings (`output.storageQueue`), sent as the Azure host sends them: after the function has
 * returned and before its HTTP answer goes out (a send that fails fails the invocation), encoded as host.json
 * says, creating the queue when it is missing, and then telling this host's listener on that queue to look
 * at once. The last part is Azure's shared queue watcher: the Storage Queues extension's output collector
 * calls `IMessageEnqueuedWatcher.Notify(queueName)` after each message it adds, and the queue listener of
 * the same host polls immediately instead of waiting out its back-off (azure-sdk-for-net,
 * Microsoft.Azure.WebJobs.Extensions.Storage.Queues, `QueuesExtensionConfigProvider.QueueAsyncCollector`
 * and `SharedQueueWatcher`, read 2026-11-25). A message sent with the SDK wakes nobody.
 */

/** What a queue listener does when told a message was just added to its queue. */
export interface Notifiable {
  notify(): void;
}

/** One per host, as in Azure: listeners register by queue name, output bindings notify by queue name. */
export class SharedQueueWatcher {
  private readonly listeners = new Map<string, Notifiable[]>();

  register(queueName: string, listener: Notifiable): void {
    const name = queueName.toLowerCase();
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
  }

  notify(queueName: string): void {
    for (const listener of this.listeners.get(queueName.toLowerCase()) ?? []) listener.notify();
  }
}

export interface QueueOutputOptions {
  readonly env: Record<string, string | undefined>;
  readonly settings: QueueSettings;
  readonly watcher: SharedQueueWatcher;
}

/** The messages one output value stands for: an array is one message per element, as in Azure. */
function messageTexts(data: RpcTypedData | null | undefined): string[] {
  if (!data) return [];
  if (typeof data.string === 'string') return [data.string];
  if (data.bytes) return [Buffer.from(data.bytes).toString('utf8')];
  if (typeof data.json === 'string') {
    const value: unknown = JSON.parse(data.json);
    const items: unknown[] = Array.isArray(value) ? value : [value];
    return items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  }
  return [];
}

async function addMessageAndCreateIfNotExists(queue: QueueClient, text: string): Promise<void> {
  try {
    await queue.sendMessage(text);
  } catch (error) {
    if (!(error instanceof RestError && error.statusCode === 404)) throw error;
    await queue.createIfNotExists();
    await queue.sendMessage(text);
  }
}

/**
 * The function's queue output bindings as one step to run on each invocation response; undefined when the
 * function has none.
 */
export function createQueueOutputs(fn: RegisteredFunction, options: QueueOutputOptions): ((response: RpcInvocationResponse) => Promise<void>) | undefined {
  const outputs = new Map<string, QueueClient>();
  for (const [name, declared] of Object.entries(fn.metadata.bindings)) {
    if (String(declared.type).toLowerCase() !== 'queue' || declared.direction !== 'out') continue;
    const binding = resolveBindingExpressions(declared, options.env, `Function ${fn.metadata.name} (queue output ${name})`);
    const service = queueServiceFor(stringProperty(binding, 'connection') ?? 'AzureWebJobsStorage', options.env);
    outputs.set(name, service.getQueueClient((stringProperty(binding, 'queueName') ?? '').toLowerCase()));
  }
  if (outputs.size === 0) return undefined;
  return async (response) => {
    for (const output of response.outputData ?? []) {
      const queue = output.name ? outputs.get(output.name) : undefined;
      if (!queue) continue;
      const texts = messageTexts(output.data);
      for (const text of texts) {
        await addMessageAndCreateIfNotExists(queue, options.settings.messageEncoding === 'base64' ? Buffer.from(text, 'utf8').toString('base64') : text);
      }
      if (texts.length > 0) options.watcher.notify(queue.name);
    }
  };
}
