import path from 'node:path';
import { odata } from '@azure/data-tables';
import { createPseudonyms } from '../../shared/access/pseudonyms';
import { createQuotas } from '../../shared/access/quotas';
import { hashApiKey, keysOf, newApiKey, parseTenants, type Tenant } from '../../shared/config/tenants';
import { isJobId, isTerminal } from '../../shared/jobs/job';
import { parseJobMessage } from '../../shared/storage/jobMessage';
import { failPoisonedJob } from '../../shared/worker/completion';
import { storageNames } from '../../shared/storage/storageNames';
import { readSpanFile } from '../../shared/telemetry/spanFile';
import { parseDeliveryMessage } from '../../shared/webhooks/outbox/deliveryMessage';
import { failPoisonedDelivery } from '../../shared/webhooks/poisonedDelivery';
import type { OpsStorage } from './opsStorage';
import { OpsError } from './opsSettings';
import { renderWaterfall, spansOfJob } from './traceView';

/**
 * The ops commands, each printing what an operator needs and nothing a child or a school must keep private:
 * ids, states, codes, counts and times, never a prompt, a student id, a key's hash or a token.
 */

export interface CommandContext {
  readonly storage: () => OpsStorage;
  readonly env: Record<string, string | undefined>;
  readonly projectDir: string;
  readonly dryRun: boolean;
  readonly print: (line: string) => void;
  readonly now: Date;
}

function requireJobId(id: string | undefined): string {
  if (!id) throw new OpsError('Name the job: its id, as in Operation-Location (a UUID).', 2);
  if (!isJobId(id)) throw new OpsError(`'${id}' is not a job id (a UUID such as 3f2b8c1e-….).`, 2);
  return id;
}

/** Storage errors an operator can act on: no access, or nothing there. */
export function explainStorageError(error: unknown): Error {
  const status: unknown = error instanceof Error ? Reflect.get(error, 'statusCode') : undefined;
  if (status === 403 || status === 401) {
    return new OpsError('Storage refused access (403). After az login, your account needs Storage Blob, Queue and Table Data roles on the storage account (infra/ grants them to the app only).');
  }
  if (error instanceof Error && /ECONNREFUSED/.test(`${error.message} ${String(Reflect.get(error, 'code'))}`)) {
    return new OpsError('Storage did not answer: is the local stack running (npm start)?');
  }
  return error instanceof Error ? error : new Error(String(error));
}

function traceFile(context: CommandContext, given: string | undefined): string | undefined {
  const file = given ?? context.env['LOCAL_TRACES_FILE'];
  return file ? path.resolve(context.projectDir, file) : undefined;
}

/** The KQL that shows a job's trace in Application Insights (Logs), for when the spans are in Azure. */
export function traceQueryFor(jobId: string): string {
  return [
    'union AppRequests, AppDependencies, AppTraces',
    `| where OperationId in ((AppDependencies | union AppRequests | where Properties["edu4all.job.id"] == "${jobId}" | distinct OperationId))`,
    '| project TimeGenerated, OperationId, Id, ParentId, Name, DurationMs, Success, Properties',
    '| order by TimeGenerated asc',
  ].join('\n');
}

export function trace(context: CommandContext, args: readonly string[], options: { file?: string }): void {
  const jobId = requireJobId(args[0]);
  const file = traceFile(context, options.file);
  if (!file) {
    context.print('No local trace file (LOCAL_TRACES_FILE is empty). In Azure, run this in Application Insights > Logs:\n');
    context.print(traceQueryFor(jobId));
    return;
  }
  const spans = spansOfJob(readSpanFile(file), jobId);
  if (spans.length === 0) throw new OpsError(`No spans of job ${jobId} in ${file}. Spans are written while npm start runs with LOCAL_TRACES_FILE set; an older job may have been rotated out.`);
  context.print(renderWaterfall(spans));
}

export async function job(context: CommandContext, args: readonly string[], options: { file?: string }): Promise<void> {
  const jobId = requireJobId(args[0]);
  const storage = context.storage();
  const record = await storage.jobs.get(jobId);
  if (!record) throw new OpsError(`No job ${jobId} in ${storage.where} (deleted, past retention, or another environment).`);
  const print = context.print;
  print(`job ${record.id}`);
  print(`  status      ${record.status}${record.status === 'Failed' || record.status === 'Canceled' ? ` (${record.error.code}: ${record.error.message})` : ''}`);
  print(`  school      ${record.tenantId}`);
  print(`  model       ${record.model}   pictures ${record.request.n}, ${record.request.size}${record.request.quality ? `, ${record.request.quality}` : ''}`);
  print(`  created     ${record.createdDateTime}   updated ${record.lastUpdatedDateTime}`);
  print(`  attempts    ${record.attempts}   provider calls ${record.providerCalls ?? 0}${record.enqueuedDateTime ? `   enqueued ${record.enqueuedDateTime}` : '   NOT ENQUEUED (the sweep will enqueue it)'}`);
  if (record.status === 'Running') {
    if (record.lastError) print(`  last error  ${record.lastError.code}${record.failingForMs ? ` (failing for ${Math.round(record.failingForMs / 1000)} s)` : ''}`);
    if (record.waitingUntil) print(`  waiting     until ${record.waitingUntil}`);
    if (record.claim) print(`  claimed     by message ${record.claim.messageId} until ${record.claim.until}`);
  }
  if (record.status === 'Succeeded') print(`  result      ${record.images.length} pictures, estimated $${record.usage?.estimatedCostUsd ?? 0}`);
  if (record.reservedCostUsd !== undefined) print(`  reserved    $${record.reservedCostUsd}`);
  print('deliveries');
  if (!record.webhooks?.length) print('  (none)');
  for (const delivery of record.webhooks ?? []) {
    const last = delivery.attempts.at(-1);
    print(`  ${delivery.type.padEnd(16)} ${delivery.state.padEnd(9)} ${delivery.attemptCount} attempts${last ? `, last ${last.at}${last.statusCode ? ` HTTP ${last.statusCode}` : ''}${last.error ? ` (${last.error})` : ''}` : ''}${delivery.nextAttemptDateTime ? `, next ${delivery.nextAttemptDateTime}` : ''}`);
  }
  print('safety events');
  const table = storage.clients.tableClient(storageNames.safetyEventsTable);
  let events = 0;
  try {
    for await (const entity of table.listEntities<{ layer?: string; categories?: string; createdDateTime?: string; webhookState?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${record.tenantId} and jobId eq ${jobId}`, select: ['layer', 'categories', 'createdDateTime', 'webhookState'] } })) {
      events++;
      print(`  ${entity.createdDateTime ?? ''} ${entity.layer ?? ''}: ${entity.categories ?? ''}${entity.webhookState ? ` (webhook ${entity.webhookState})` : ''}`);
    }
  } catch (error) {
    if (Reflect.get(error instanceof Error ? error : {}, 'statusCode') !== 404) throw error;
  }
  if (events === 0) print('  (none)');
  print('trace');
  const file = traceFile(context, options.file);
  const spans = file ? spansOfJob(readSpanFile(file), jobId) : [];
  if (spans.length > 0) print(renderWaterfall(spans));
  else print(`  ${file ? `no spans in ${file}` : 'no local trace file'}; in Application Insights > Logs:\n${traceQueryFor(jobId).replace(/^/gm, '    ')}`);
}

export async function stuck(context: CommandContext, options: { olderThanMinutes: number }): Promise<void> {
  const storage = context.storage();
  const cutoff = context.now.getTime() - options.olderThanMinutes * 60_000;
  let found = 0;
  for await (const listing of storage.jobs.list()) {
    if (listing.lastModified.getTime() > cutoff) continue;
    if (listing.status && isTerminal(listing.status)) continue;
    const record = await storage.jobs.get(listing.id);
    if (!record || isTerminal(record.status)) continue;
    found++;
    const ageMinutes = Math.round((context.now.getTime() - Date.parse(record.createdDateTime)) / 60_000);
    const why =
      record.status === 'NotStarted'
        ? record.enqueuedDateTime
          ? 'queued, not started'
          : 'never enqueued'
        : record.status !== 'Running'
          ? record.status
          : record.waitingUntil
            ? `waiting until ${record.waitingUntil}`
            : record.lastError
              ? `last error ${record.lastError.code}`
              : 'running';
    context.print(`${record.id}  ${record.status.padEnd(10)} ${`${ageMinutes} min`.padStart(8)}  school ${record.tenantId}  attempts ${record.attempts}  ${why}`);
  }
  context.print(found === 0 ? `No job unfinished for more than ${options.olderThanMinutes} minutes.` : `${found} unfinished for more than ${options.olderThanMinutes} minutes: npm run ops -- job <id> shows one.`);
}

type PoisonKind = 'jobs' | 'webhooks';
const poisonQueues: Record<PoisonKind, { poison: string; main: string }> = {
  jobs: { poison: storageNames.poisonQueue, main: storageNames.jobQueue },
  webhooks: { poison: storageNames.webhookPoisonQueue, main: storageNames.webhookQueue },
};

function describeMessage(kind: PoisonKind, text: string): string {
  const json = Buffer.from(text, 'base64').toString('utf8');
  if (kind === 'jobs') {
    const message = parseJobMessage(json);
    return message ? `job ${message.jobId}` : 'not a job message';
  }
  const message = parseDeliveryMessage(json);
  if (!message) return 'not a delivery message';
  return 'safetyEventId' in message ? `${message.type} of safety event ${message.safetyEventId} (school ${message.tenantId}), attempt ${message.attempt}` : `${message.type} of job ${message.jobId}, attempt ${message.attempt}`;
}

function kindsOf(queue: string | undefined): PoisonKind[] {
  if (queue === undefined) return ['jobs', 'webhooks'];
  if (queue === 'jobs' || queue === 'webhooks') return [queue];
  throw new OpsError(`--queue is jobs or webhooks, not '${queue}'.`, 2);
}

export async function poison(context: CommandContext, args: readonly string[], options: { queue?: string; all: boolean }): Promise<void> {
  const [action, messageId] = args;
  const storage = context.storage();
  const kinds = kindsOf(options.queue);
  if (action === 'list') {
    let count = 0;
    for (const kind of kinds) {
      const queue = storage.clients.queueService.getQueueClient(poisonQueues[kind].poison);
      if (!(await queue.exists())) continue;
      const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
      for (const item of peekedMessageItems) {
        count++;
        context.print(`${poisonQueues[kind].poison}  ${item.messageId}  ${item.insertedOn.toISOString()}  dequeued ${item.dequeueCount}x  ${describeMessage(kind, item.messageText)}`);
      }
    }
    context.print(count === 0 ? 'No poison messages (the poison handlers end jobs and deliveries as they arrive; any left here were not handled).' : `${count} poison messages (at most 32 per queue shown).`);
    return;
  }
  if (action !== 'requeue' && action !== 'fail') throw new OpsError('poison takes list, requeue <messageId|--all> or fail <messageId|--all>.', 2);
  if (!messageId && !options.all) throw new OpsError(`poison ${action}: name a message id (from poison list), or --all.`, 2);
  let done = 0;
  for (const kind of kinds) {
    const { poison: poisonName, main } = poisonQueues[kind];
    const queue = storage.clients.queueService.getQueueClient(poisonName);
    if (!(await queue.exists())) continue;
    const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
    const targets = peekedMessageItems.filter((item) => options.all || item.messageId === messageId);
    if (context.dryRun) {
      for (const item of targets) context.print(`would ${action === 'requeue' ? `move to ${main}` : 'mark failed and delete'}: ${poisonName} ${item.messageId} (${describeMessage(kind, item.messageText)})`);
      done += targets.length;
      continue;
    }
    if (targets.length === 0) continue;
    // Received (not peeked) so each is deleted with its pop receipt; others received along the way reappear in 30 s.
    const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
    for (const item of receivedMessageItems.filter((received) => options.all || received.messageId === messageId)) {
      const json = Buffer.from(item.messageText, 'base64').toString('utf8');
      if (action === 'requeue') {
        await storage.clients.queueService.getQueueClient(main).sendMessage(item.messageText);
      } else if (kind === 'jobs') {
        await failPoisonedJob({ jobs: storage.jobs, images: storage.images, line: storage.line, jobQueue: storage.jobQueue }, json, { log: context.print, warn: context.print, error: context.print });
      } else {
        await failPoisonedDelivery({ jobs: storage.jobs, safetyEvents: storage.safetyEvents, webhookQueue: storage.webhookQueue }, json, { log: context.print, warn: context.print, error: context.print });
      }
      await queue.deleteMessage(item.messageId, item.popReceipt);
      done++;
      context.print(`${action === 'requeue' ? `moved to ${main}` : 'marked failed, deleted'}: ${poisonName} ${item.messageId} (${describeMessage(kind, item.messageText)})`);
    }
  }
  if (done === 0) throw new OpsError(messageId ? `No poison message ${messageId}${options.queue ? ` on the ${options.queue} poison queue` : ''}.` : 'Nothing to do: the poison queues are empty.');
  if (context.dryRun) context.print(`Dry run: ${done} messages; nothing changed.`);
}

function tenantsOf(context: CommandContext): Tenant[] {
  const json = context.env['TENANTS'];
  if (!json) throw new OpsError('TENANTS is not set: locally it comes from local.settings.json; for Azure, put the app setting in the environment (az functionapp config appsettings list …).', 2);
  try {
    return parseTenants(json);
  } catch (error) {
    throw new OpsError(`TENANTS: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A new key, printed once: only its hash goes into TENANTS. */
function newKey(): { key: string; hash: string } {
  const key = newApiKey();
  return { key, hash: hashApiKey(key) };
}

function printKey(context: CommandContext, key: string): void {
  context.print(`\nNew API key (shown once, give it to the school's LMS and do not store it here):\n  ${key}`);
}

export function school(context: CommandContext, args: readonly string[], options: { name?: string }): void {
  const [action, id] = args;
  if (!id || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(id)) throw new OpsError(`school ${action ?? ''}: name the school's id (lower-case letters, digits and dashes, at most 32).`, 2);
  const verb = context.dryRun ? 'would' : 'will';
  if (action === 'add') {
    const existing = context.env['TENANTS'] ? tenantsOf(context) : [];
    if (existing.some((tenant) => tenant.id === id)) throw new OpsError(`School ${id} is already in TENANTS: use school rotate-key ${id}.`);
    const { key, hash } = newKey();
    const entry = { id, ...(options.name ? { name: options.name } : {}), apiKeyHashes: [hash], quotas: { imagesPerUserPerDay: 50, imagesPerDay: 2000, imagesPerMonth: 40000, usdPerMonth: 500 } };
    context.print(`Add this entry to the TENANTS app setting (nothing ${verb} be stored by this command):\n${JSON.stringify(entry, null, 2)}`);
    if (!context.dryRun) printKey(context, key);
    return;
  }
  const tenants = tenantsOf(context);
  const tenant = tenants.find((candidate) => candidate.id === id);
  if (!tenant) throw new OpsError(`No school ${id} in TENANTS (schools: ${tenants.map((candidate) => candidate.id).join(', ')}).`);
  if (action === 'rotate-key') {
    const { key, hash } = newKey();
    // The old key keeps working until its hash is removed: the school switches, then the old one goes. The new
    // one is a named key (apiKeyHashes holds at most two), so the access log tells the two apart.
    const label = `rotated-${new Date().toISOString().slice(0, 10)}`;
    const updated = { ...tenant, apiKeys: [...(tenant.apiKeys ?? []), { label, hash }] };
    const old = keysOf(tenant).map((key) => key.label);
    context.print(`Replace school ${id}'s entry in TENANTS with this one; once the LMS uses the new key (${label}), remove the old one${old.length > 1 ? 's' : ''} (${old.join(', ')}; a leaked key: remove it at once):\n${JSON.stringify(updated, null, 2)}`);
    if (!context.dryRun) printKey(context, key);
    return;
  }
  if (action === 'remove') {
    const rest = tenants.filter((candidate) => candidate.id !== id);
    if (rest.length === 0) throw new OpsError(`School ${id} is the only one: TENANTS must name at least one school.`);
    context.print(`TENANTS without school ${id} (its jobs and pictures are deleted by retention; a job can be erased now with DELETE /api/jobs/{id}):\n${JSON.stringify(rest)}`);
    return;
  }
  throw new OpsError('school takes add, rotate-key or remove, and the school id.', 2);
}

export async function usage(context: CommandContext, options: { school?: string }): Promise<void> {
  if (!options.school) throw new OpsError('usage: name the school with --school <id>.', 2);
  const tenants = tenantsOf(context);
  const tenant = tenants.find((candidate) => candidate.id === options.school);
  if (!tenant) throw new OpsError(`No school ${options.school} in TENANTS (schools: ${tenants.map((candidate) => candidate.id).join(', ')}).`);
  const storage = context.storage();
  // Pseudonyms only name students; a school's totals need no secret.
  const quotas = createQuotas(storage.counters, createPseudonyms(context.env['STATUS_TOKEN_SECRETS']?.split(',')[0] ?? 'ops-school-totals-only'));
  context.print(JSON.stringify(await quotas.usage(tenant, undefined, context.now), null, 2));
}
