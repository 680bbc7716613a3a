import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { QueueServiceClient, type DequeuedMessageItem, type QueueClient } from '@azure/storage-queue';
import type { RegisteredFunction, RpcLogLevel, RpcTypedData } from './functionsCore';
import type { QueueSettings } from './hostConfig';
import { withTimeout, type Invoke } from './invoke';
import { describeError, writeLog } from './log';
import { stringProperty, type TriggerBinding } from './triggerBinding';

/**
 * Queue triggers, run as the Azure host does: batchSize and newBatchThreshold, polling with back-off up to
 * maxPollingInterval, visibilityTimeout between retries, base64 message encoding, and a move to
 * `<queue>-poison` after maxDequeueCount. The connection is the app setting the trigger names
 * (AzureWebJobsStorage by default): a connection string, or an identity-based `__queueServiceUri`.
 */

export interface QueueTriggerOptions {
  readonly env: Record<string, string | undefined>;
  readonly settings: QueueSettings;
  /**
   * How long a received message stays invisible while its function runs; renewed at half-time. Azure uses
   * 10 minutes; a shorter lease lets a crashed local host's messages come back sooner.
   */
  readonly leaseInSeconds: number;
  readonly invoke: Invoke;
}

const minPollingIntervalInMs = 100;
/** How long stopping waits for messages in flight before leaving them to be delivered again. */
export const drainTimeoutInMs = 10_000;

/** Quick retries: the listener has its own back-off, and a stopping host must not wait on the SDK's. */
const queueRetryOptions = { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000, tryTimeoutInMs: 30_000 };

export function queueServiceFor(connection: string, env: Record<string, string | undefined>): QueueServiceClient {
  const connectionString = env[connection];
  if (connectionString) return QueueServiceClient.fromConnectionString(connectionString, { retryOptions: queueRetryOptions });
  const uri = env[`${connection}__queueServiceUri`] ?? (env[`${connection}__accountName`] && `https://${env[`${connection}__accountName`]}.queue.core.windows.net`);
  if (!uri) throw new Error(`The queue trigger's connection "${connection}" is not configured: set ${connection} or ${connection}__queueServiceUri.`);
  const clientId = env[`${connection}__clientId`];
  const credential = clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
  return new QueueServiceClient(uri, credential, { retryOptions: queueRetryOptions });
}

function toTypedData(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

export class QueueListener {
  private running = true;
  private readonly inFlight = new Set<Promise<void>>();
  private wake: (() => void) | undefined;
  /** Set by notify(): a message was just added to this queue by this host's output binding. */
  private notified = false;

  constructor(
    private readonly fn: RegisteredFunction,
    private readonly triggerName: string,
    private readonly queue: QueueClient,
    private readonly poisonQueue: QueueClient,
    private readonly options: QueueTriggerOptions,
  ) {}

  private get settings(): QueueSettings {
    return this.options.settings;
  }

  get queueName(): string {
    return this.queue.name;
  }

  /**
   * A message was just added to this queue through an output binding of this host (queueOutput.ts): look
   * now instead of sleeping out the back-off, as Azure's queue listener does when its shared watcher is told.
   */
  notify(): void {
    this.notified = true;
    this.wake?.();
  }

  private log(level: RpcLogLevel, message: string): void {
    writeLog(this.fn.metadata.name, level, message);
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Creates the queue if needed (as the Azure host does), retrying while storage is unreachable. */
  private async ensureQueue(): Promise<void> {
    let delay = minPollingIntervalInMs;
    while (this.running) {
      try {
        await this.queue.createIfNotExists();
        return;
      } catch (error) {
        this.log('warning', `Queue ${this.queue.name} is not reachable yet: ${describeError(error)}`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  async run(): Promise<void> {
    await this.ensureQueue();
    let delay = minPollingIntervalInMs;
    while (this.running) {
      if (this.inFlight.size > this.settings.newBatchThreshold) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[];
      this.notified = false;
      try {
        messages = (await this.queue.receiveMessages({ numberOfMessages: this.settings.batchSize, visibilityTimeout: this.options.leaseInSeconds }))
          .receivedMessageItems;
      } catch (error) {
        this.log('warning', `Could not read queue ${this.queue.name}: ${describeError(error)}`);
        await this.sleep(delay);
        delay = Math.min(delay * 2, Math.max(this.settings.maxPollingIntervalInMs, minPollingIntervalInMs));
        continue;
      }
      if (messages.length === 0) {
        // Told of a message while this receive was out: it may have missed it, so look again at once.
        if (this.notified) {
          delay = minPollingIntervalInMs;
          continue;
        }
        await this.sleep(delay);
        delay = Math.min(delay * 2, Math.max(this.settings.maxPollingIntervalInMs, minPollingIntervalInMs));
        continue;
      }
      delay = minPollingIntervalInMs;
      for (const message of messages) {
        const work: Promise<void> = this.handle(message).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      }
    }
  }

  private decode(text: string): string | undefined {
    if (this.settings.messageEncoding === 'none') return text;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
    return Buffer.from(text, 'base64').toString('utf8');
  }

  private async moveToPoison(message: DequeuedMessageItem, popReceipt: string, why: string): Promise<void> {
    await this.poisonQueue.createIfNotExists();
    await this.poisonQueue.sendMessage(message.messageText);
    await this.queue.deleteMessage(message.messageId, popReceipt);
    this.log('warning', `Message ${message.messageId} moved to ${this.poisonQueue.name}: ${why}`);
  }

  private async handle(message: DequeuedMessageItem): Promise<void> {
    const leaseInSeconds = this.options.leaseInSeconds;
    let popReceipt = message.popReceipt;
    try {
      const text = this.decode(message.messageText);
      if (text === undefined) return await this.moveToPoison(message, popReceipt, 'not valid base64 (host.json messageEncoding)');
      if (message.dequeueCount > this.settings.maxDequeueCount) {
        return await this.moveToPoison(message, popReceipt, `dequeued ${message.dequeueCount} times`);
      }
      // Keep the message invisible while the function runs, as the Azure host does.
      let renewal = Promise.resolve();
      const timer = setInterval(() => {
        renewal = renewal
          .then(async () => {
            popReceipt = (await this.queue.updateMessage(message.messageId, popReceipt, undefined, leaseInSeconds)).popReceipt ?? popReceipt;
          })
          .catch((error: unknown) => this.log('warning', `Could not renew the lease of ${message.messageId}: ${String(error)}`));
      }, (leaseInSeconds * 1000) / 2);
      let failure: unknown;
      try {
        await this.options.invoke(this.fn, {
          inputData: [{ name: this.triggerName, data: { string: text } }],
          triggerMetadata: {
            DequeueCount: toTypedData(message.dequeueCount),
            Id: { string: message.messageId },
            InsertionTime: toTypedData(message.insertedOn),
            ExpirationTime: toTypedData(message.expiresOn),
            NextVisibleTime: toTypedData(message.nextVisibleOn),
            PopReceipt: { string: message.popReceipt },
          },
        });
      } catch (error) {
        failure = error;
      } finally {
        clearInterval(timer);
        await renewal;
      }
      if (failure === undefined) {
        await this.queue.deleteMessage(message.messageId, popReceipt);
        return;
      }
      this.log('error', `Attempt ${message.dequeueCount} of ${this.settings.maxDequeueCount} failed: ${describeError(failure)}`);
      if (message.dequeueCount >= this.settings.maxDequeueCount) {
        await this.moveToPoison(message, popReceipt, `failed ${message.dequeueCount} times`);
      } else {
        await this.queue.updateMessage(message.messageId, popReceipt, undefined, Math.round(this.settings.visibilityTimeoutInMs / 1000));
      }
    } catch (error) {
      // Storage trouble while completing: the lease runs out and the message is delivered again.
      this.log('warning', `Could not complete message ${message.messageId}: ${describeError(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await withTimeout(Promise.allSettled(this.inFlight), drainTimeoutInMs, 'draining').catch(() => {
      this.log('warning', `Stopped with ${this.inFlight.size} messages in flight; they will be delivered again.`);
    });
  }
}

/** A listener for one queue-triggered function, on the queue and connection its trigger names. */
export function createQueueListener(fn: RegisteredFunction, trigger: TriggerBinding, options: QueueTriggerOptions): QueueListener {
  const queueName = stringProperty(trigger.binding, 'queueName') ?? '';
  const service = queueServiceFor(stringProperty(trigger.binding, 'connection') ?? 'AzureWebJobsStorage', options.env);
  return new QueueListener(fn, trigger.name, service.getQueueClient(queueName), service.getQueueClient(`${queueName}-poison`), options);
}
