import { randomUUID } from 'node:crypto';
import { loadConfig, type AppConfig } from '../../shared/config/config';
import { defaultQuotas, hashApiKey, type Tenant } from '../../shared/config/tenants';
import type { JobRecord } from '../../shared/jobs/job';
import type { Logger } from '../../shared/logger';
import { fileExtensions, contentTypes } from '../../shared/models/modelCatalogue';
import type { ImageDetails, ImageStore, ListedImage, StoredPreview } from '../../shared/storage/imageStore';
import { thumbnailBlobNameFor } from '../../shared/storage/imageStore';
import type { JobStore } from '../../shared/storage/jobStore';
import type { LineStore, StoredLineEntry } from '../../shared/storage/lineStore';
import type { Presence } from '../../shared/jobs/lineForecast';
import type { PresenceStore } from '../../shared/storage/presenceStore';

/* eslint-disable @typescript-eslint/require-await -- in-memory fakes of async interfaces: nothing to wait for. */

/**
 * Plain-object fakes of the stores the shared modules declare in their dependency interfaces (SubmitDeps,
 * WorkerDeps, ViewDeps, DeliveryDeps, …), kept in memory, for tests that run in process: no Azurite, no
 * HTTP server. Each keeps what was done to it, for the test to read.
 */

export function fakeLog(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (message) => lines.push(`log: ${message}`),
    warn: (message) => lines.push(`warn: ${message}`),
    error: (message) => lines.push(`error: ${message}`),
  };
}

/** A job store whose update applies the change at once (no ETag race to lose), as the real one does in the end. */
export function fakeJobStore(jobs: readonly JobRecord[] = []): JobStore & { readonly records: Map<string, JobRecord> } {
  const records = new Map(jobs.map((job) => [job.id, job]));
  return {
    records,
    async create(job) {
      if (records.has(job.id)) throw new Error(`job ${job.id} exists`);
      records.set(job.id, job);
    },
    async get(id) {
      return records.get(id);
    },
    async update(id, change) {
      const current = records.get(id);
      if (!current) return undefined;
      const next = change(current);
      if (next) records.set(id, next);
      return next ?? current;
    },
    async delete(id) {
      records.delete(id);
    },
    async *list() {
      for (const job of records.values()) yield { id: job.id, lastModified: new Date(job.lastUpdatedDateTime), status: job.status, tenantId: job.tenantId };
    },
  };
}

/**
 * The line in memory, with the real one's ETag rule: a claim holds only if the entry is as it was read.
 * `beforeClaim` runs just before a claim is judged, so a test can let another ticket win the race.
 */
export function fakeLineStore(initial: readonly Omit<StoredLineEntry, 'etag'>[] = []): LineStore & { readonly entries: Map<string, StoredLineEntry>; beforeClaim?: (entry: StoredLineEntry) => void } {
  let version = 0;
  const stamp = (entry: Omit<StoredLineEntry, 'etag'>): StoredLineEntry => ({ ...entry, etag: `v${++version}` });
  const entries = new Map(initial.map((entry) => [entry.jobId, stamp(entry)]));
  const merge = (jobId: string, fields: Partial<StoredLineEntry>) => {
    const current = entries.get(jobId);
    if (current) entries.set(jobId, stamp({ ...current, ...fields }));
  };
  const store: LineStore & { readonly entries: Map<string, StoredLineEntry>; beforeClaim?: (entry: StoredLineEntry) => void } = {
    entries,
    async add(entry) {
      if (!entries.has(entry.jobId)) entries.set(entry.jobId, stamp({ ...entry, state: 'waiting' }));
    },
    async list() {
      return [...entries.values()];
    },
    async claim(entry, ticketId, claimedUntil) {
      store.beforeClaim?.(entry);
      if (entries.get(entry.jobId)?.etag !== entry.etag) return false;
      merge(entry.jobId, { state: 'started', claimedBy: ticketId, claimedUntil });
      return true;
    },
    async hold(jobId, ticketId, claimedUntil) {
      merge(jobId, { state: 'started', claimedBy: ticketId, claimedUntil });
    },
    async release(jobId) {
      merge(jobId, { state: 'waiting', claimedBy: '', claimedUntil: 0 });
    },
    async markDone(jobId, endedAt) {
      merge(jobId, { state: 'done', endedAt });
    },
    async remove(jobIds) {
      for (const jobId of jobIds) entries.delete(jobId);
    },
    async createIfNotExists() {},
  };
  return store;
}

/** The studio's presence marks in memory, by student pseudonym, as the real store keeps one per student (the ETag: the time). */
export function fakePresenceStore(initial: readonly Presence[] = []): PresenceStore & { readonly marks: Map<string, Presence> } {
  const marks = new Map(initial.map((mark) => [mark.student, mark]));
  const etagOf = (mark: Presence) => String(mark.seenAt);
  return {
    marks,
    async note(presence) {
      marks.set(presence.student, presence);
    },
    async list() {
      return [...marks.values()].map((mark) => ({ ...mark, etag: etagOf(mark) }));
    },
    async remove(students) {
      for (const student of students) marks.delete(student);
    },
    async removeIfUnchanged(listed) {
      for (const mark of listed) {
        const current = marks.get(mark.student);
        if (current && etagOf(current) === mark.etag) marks.delete(mark.student);
      }
    },
  };
}

interface FakeBlob {
  readonly bytes: Buffer;
  readonly details?: ImageDetails;
  checked?: boolean;
}

/** An image store of blobs named as the real one names them (`{jobId}/{index}.{ext}`). */
export function fakeImageStore(): ImageStore & { readonly blobs: Map<string, FakeBlob>; readonly previews: Map<string, Buffer> } {
  const blobs = new Map<string, FakeBlob>();
  const previews = new Map<string, Buffer>();
  const prefixed = (jobId: string) => (name: string) => name.startsWith(`${jobId}/`) || name.startsWith(`${jobId}.thumbs/`);
  return {
    blobs,
    previews,
    containerName: 'images',
    async save(jobId, index, bytes, details) {
      const name = `${jobId}/${index}.${fileExtensions[details.format]}`;
      if (!blobs.has(name)) blobs.set(name, { bytes, details });
    },
    async saveThumbnail(jobId, index, webp) {
      blobs.set(thumbnailBlobNameFor(jobId, index), { bytes: webp });
    },
    async markChecked(blobName) {
      const blob = blobs.get(blobName);
      if (blob) blob.checked = true;
    },
    async list(jobId) {
      const listed: ListedImage[] = [];
      for (const [name, blob] of blobs) {
        if (!name.startsWith(`${jobId}/`) || !blob.details) continue;
        const index = Number(/\/(\d+)\./.exec(name)?.[1]);
        const thumbnail = blobs.get(thumbnailBlobNameFor(jobId, index));
        listed.push({
          index,
          blobName: name,
          width: blob.details.width,
          height: blob.details.height,
          format: blob.details.format,
          contentType: contentTypes[blob.details.format],
          ...(blob.details.revisedPrompt ? { revisedPrompt: blob.details.revisedPrompt } : {}),
          ...(thumbnail ? { thumbnail: { blobName: thumbnailBlobNameFor(jobId, index), width: 256, height: 256 } } : {}),
          ...(blob.details.call ? { call: blob.details.call } : {}),
          ...(blob.checked ? { outputChecked: true } : {}),
        });
      }
      return listed.sort((a, b) => a.index - b.index);
    },
    async read(blobName) {
      return blobs.get(blobName)?.bytes;
    },
    async sizeOf(blobName) {
      return blobs.get(blobName)?.bytes.length;
    },
    async savePreview(jobId, index, bytes) {
      previews.set(`${jobId}.previews/${index}`, bytes);
    },
    async listPreviews(jobId) {
      const found: StoredPreview[] = [];
      for (const name of previews.keys()) {
        if (name.startsWith(`${jobId}.previews/`)) found.push({ index: Number(name.split('/')[1]), blobName: name, receivedDateTime: '2026-12-01T08:00:00.000Z' });
      }
      return found;
    },
    async deletePreviews(jobId) {
      for (const name of [...previews.keys()]) if (name.startsWith(`${jobId}.previews/`)) previews.delete(name);
    },
    async deleteAll(jobId) {
      for (const name of [...blobs.keys()]) if (prefixed(jobId)(name)) blobs.delete(name);
      for (const name of [...previews.keys()]) if (name.startsWith(`${jobId}.previews/`)) previews.delete(name);
    },
  };
}

/** A tenant as TENANTS gives it after parsing, with the strict defaults. */
export function fakeTenant(id = 'school-a', extra: Partial<Tenant> = {}): Tenant {
  return { id, apiKeyHashes: [], quotas: defaultQuotas, ...extra };
}

type NotStartedJob = Extract<JobRecord, { status: 'NotStarted' }>;

/** A NotStarted job of school-a: one square picture for student-7 of class 5b. */
export function fakeJob(overrides: Partial<NotStartedJob> = {}): NotStartedJob {
  const at = '2026-12-01T08:00:00.000Z';
  return {
    id: randomUUID(),
    tenantId: 'school-a',
    status: 'NotStarted',
    createdDateTime: at,
    lastUpdatedDateTime: at,
    request: { prompt: 'a lighthouse at dawn', n: 1, orientation: 'square', size: '1024x1024', outputFormat: 'png', user: 'student-7', metadata: { classId: '5b' } },
    model: 'gpt-image-2',
    metapromptVersion: 'child-safe-v1',
    attempts: 0,
    ...overrides,
  };
}

/** The configuration of a local run (the image service on loopback), read from these settings rather than process.env. */
export function fakeConfig(extra: Record<string, string> = {}): AppConfig {
  return loadConfig({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:8089',
    AZURE_OPENAI_DEPLOYMENT: 'gpt-image-2',
    TENANTS: JSON.stringify([{ id: 'school-a', apiKeyHashes: [hashApiKey('key-a')], webhook: { url: 'https://lms.example/webhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] } }]),
    STATUS_TOKEN_SECRETS: 'a-status-token-secret-of-32-characters+',
    ...extra,
  });
}
