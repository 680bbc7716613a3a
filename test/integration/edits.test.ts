import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';
import { loadConfig } from '../../shared/config/config';
import { deleteExpiredJobs } from '../../shared/upkeep/retention';
import type { Logger } from '../../shared/logger';
import { createServices } from '../../functions/lib/services';
import { storageNames } from '../../shared/storage/storageNames';

/** Edits and variations through SAS uploads: each check of an upload, and what its link may and may not do. */
describe('edits, variations and uploads', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  const picture = (width: number, height: number, alpha = false) =>
    sharp({ create: { width, height, channels: alpha ? 4 : 3, background: alpha ? { r: 0, g: 0, b: 0, alpha: 0 } : { r: 90, g: 160, b: 220 } } }).png().toBuffer();

  async function upload(bytes: Buffer, key = tenantA.key): Promise<{ id: string; uploadUrl: string }> {
    const response = await fetch(`${stack.url}/api/uploads`, { method: 'POST', headers: { 'api-key': key } });
    assert.equal(response.status, 201);
    const body = (await response.json()) as { id: string; uploadUrl: string; expiresOn: string };
    assert.ok(Date.parse(body.expiresOn) - Date.now() <= 15 * 60_000);
    const put = await fetch(body.uploadUrl, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: new Uint8Array(bytes) });
    assert.equal(put.status, 201, await put.text());
    return body;
  }

  async function run(body: Record<string, unknown>, key = tenantA.key): Promise<JsonObject> {
    const submitted = await stack.submit(body, { 'api-key': key });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const id = String(submitted.body.id);
    if (key === tenantA.key) return stack.waitForJob(id);
    for (let i = 0; i < 300; i++) {
      const { body: job } = await stack.getJob(id, { 'api-key': key });
      if (job.status === 'Succeeded' || job.status === 'Failed') return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`job ${id} did not end`);
  }

  it('edits an uploaded picture with a mask, end to end, with a thumbnail', async () => {
    const marker = `hat-${Date.now()}`;
    const image = await upload(await picture(512, 512));
    const mask = await upload(await picture(512, 512, true));
    const job = await run({ kind: 'edit', prompt: `Give the bunny a hat ${marker}`, images: [{ uploadId: image.id }], mask: { uploadId: mask.id } });
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    const result = job.result!.images![0]! as { url: string; thumbnail?: { url: string; width: number; height: number } };
    assert.ok(result.thumbnail && result.thumbnail.width <= 256 && result.thumbnail.height <= 256);
    const thumbnail = await sharp(Buffer.from(await (await fetch(result.thumbnail.url)).arrayBuffer())).metadata();
    assert.equal(thumbnail.format, 'webp');
    const [call] = stack.imageService.calls().filter((c) => c.prompt.includes(marker));
    assert.match(call?.path ?? '', /\/images\/edits$/);
    assert.deepEqual([call?.parameters['images'], call?.parameters['mask']], [1, true]);
  });

  it('makes a variation of an earlier picture, with that picture\'s prompt', async () => {
    const marker = `tram-${Date.now()}`;
    const first = await run({ prompt: `A yellow tram ${marker}` });
    const variation = await run({ kind: 'variation', image: { jobId: first.id, index: 0 } });
    assert.equal(variation.status, 'Succeeded', JSON.stringify(variation.error));
    assert.equal((variation.request as { prompt?: string }).prompt, `A yellow tram ${marker}`);
    const calls = stack.imageService.calls().filter((c) => c.prompt.includes(marker));
    assert.deepEqual(calls.map((c) => c.path.split('/').pop()), ['generations', 'edits']);
  });

  it('gives an upload link that can write its one blob once, and nothing else', async () => {
    const response = await fetch(`${stack.url}/api/uploads`, { method: 'POST', headers: { 'api-key': tenantA.key } });
    const { uploadUrl } = (await response.json()) as { uploadUrl: string };
    const link = new URL(uploadUrl);
    const put = (url: URL, body = 'x') => fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body });
    assert.equal((await put(link)).status, 201);
    assert.equal((await put(link, 'overwritten')).status >= 400, true, 'no overwrite');
    assert.equal((await fetch(link)).status, 403, 'no read');
    const other = new URL(link);
    other.pathname = other.pathname.replace(/[^/]+$/, '00000000-0000-4000-8000-000000000000');
    assert.equal((await put(other)).status, 403, 'no other blob');
    const listing = new URL(link);
    listing.pathname = link.pathname.split('/').slice(0, 3).join('/');
    listing.searchParams.set('restype', 'container');
    listing.searchParams.set('comp', 'list');
    assert.equal((await fetch(listing)).status, 403, 'no listing');
    assert.equal((await fetch(link, { method: 'DELETE' })).status, 403, 'no delete');
    const lease = new URL(link);
    lease.searchParams.set('comp', 'lease');
    // A lease would block every delete of the upload (412): `c` does not grant it (`w` would).
    const leased = await fetch(lease, { method: 'PUT', headers: { 'x-ms-lease-action': 'acquire', 'x-ms-lease-duration': '-1' } });
    assert.equal(leased.status, 403, 'no lease');
  });

  it('ends a job whose upload is not a picture, too small, or whose mask is wrong, before any provider call', async () => {
    const cases: Array<[string, () => Promise<Record<string, unknown>>, string]> = [
      ['a text file', async () => ({ images: [{ uploadId: (await upload(Buffer.from('not a picture at all'))).id }] }), 'UnsupportedImageType'],
      ['a 32x32 picture', async () => ({ images: [{ uploadId: (await upload(await picture(32, 32))).id }] }), 'InvalidImageDimensions'],
      ['a mask without alpha', async () => ({ images: [{ uploadId: (await upload(await picture(256, 256))).id }], mask: { uploadId: (await upload(await picture(256, 256))).id } }), 'InvalidMask'],
      ['a JPEG mask', async () => ({ images: [{ uploadId: (await upload(await picture(256, 256))).id }], mask: { uploadId: (await upload(await sharp(await picture(256, 256)).jpeg().toBuffer())).id } }), 'InvalidMask'],
      ['a mask of another size', async () => ({ images: [{ uploadId: (await upload(await picture(256, 256))).id }], mask: { uploadId: (await upload(await picture(128, 128, true))).id } }), 'MaskSizeMismatch'],
    ];
    for (const [name, inputs, code] of cases) {
      const marker = `bad-${code}-${Date.now()}`;
      const job = await run({ kind: 'edit', prompt: `A cat ${marker}`, ...(await inputs()) });
      assert.equal(job.status, 'Failed', name);
      assert.equal(job.error?.code, code, name);
      assert.equal(stack.imageService.calls().filter((c) => c.prompt.includes(marker)).length, 0, `${name}: no provider call`);
    }
  });

  it("refuses at submit another school's picture, an upload never written, a reused or an oversized one", async () => {
    const other = await run({ prompt: `School B's kite ${Date.now()}` }, tenantB.key);
    const foreign = await stack.submit({ kind: 'variation', image: { jobId: other.id, index: 0 } });
    assert.deepEqual([foreign.status, foreign.body.error?.code, foreign.body.error?.target], [400, 'ImageNotFound', 'image']);
    const never = await stack.submit({ kind: 'edit', prompt: 'a hat', images: [{ uploadId: '6f1c1e4e-5b7a-4c1e-9f7d-1b2c3d4e5f60' }] });
    assert.deepEqual([never.status, never.body.error?.code, never.body.error?.target], [400, 'UploadNotFound', 'images.0.uploadId'], 'targets are dotted paths, as the parser writes them');
    const once = await upload(await picture(256, 256));
    assert.equal((await stack.submit({ kind: 'edit', prompt: 'a hat', images: [{ uploadId: once.id }] })).status, 202);
    const again = await stack.submit({ kind: 'edit', prompt: 'a scarf', images: [{ uploadId: once.id }] });
    assert.deepEqual([again.status, again.body.error?.code], [400, 'UploadAlreadyUsed']);
    const big = await upload(Buffer.alloc(20 * 1024 * 1024 + 1));
    const tooBig = await stack.submit({ kind: 'edit', prompt: 'a hat', images: [{ uploadId: big.id }] });
    assert.deepEqual([tooBig.status, tooBig.body.error?.code], [400, 'UploadTooLarge']);
    const bOwn = await upload(await picture(256, 256), tenantB.key);
    const crossUpload = await stack.submit({ kind: 'edit', prompt: 'a hat', images: [{ uploadId: bOwn.id }] });
    assert.deepEqual([crossUpload.status, crossUpload.body.error?.code], [400, 'UploadNotFound'], "another school's upload is not found");
  });

  // Issue 21, item 7: a worker holds an edit's pictures in memory; 16 uploads of 20 MiB were 320 MiB a job.
  it('refuses at submit an edit whose pictures add up to more than MAX_EDIT_INPUT_MIB, naming the field and the limit', async () => {
    // Three of 17 MiB: each under the 20 MiB upload limit, 51 MiB together, over the default 48 MiB.
    const big = await Promise.all([1, 2, 3].map(() => upload(Buffer.alloc(17 * 1024 * 1024))));
    const refused = await stack.submit({ kind: 'edit', prompt: 'a hat', images: big.map((u) => ({ uploadId: u.id })) });
    assert.deepEqual([refused.status, refused.body.error?.code, refused.body.error?.target], [400, 'EditInputTooLarge', 'images'], JSON.stringify(refused.body));
    assert.match(refused.body.error?.message ?? '', /51 MiB.*at most 48 MiB/);
    // Nothing was claimed: two of the same uploads (34 MiB) are accepted.
    const fewer = await stack.submit({ kind: 'edit', prompt: 'a hat', images: big.slice(0, 2).map((u) => ({ uploadId: u.id })) });
    assert.equal(fewer.status, 202, JSON.stringify(fewer.body));
  });

  it('deletes the uploads with their job', async () => {
    const image = await upload(await picture(256, 256));
    const job = await run({ kind: 'edit', prompt: `A garden ${Date.now()}`, images: [{ uploadId: image.id }] });
    const uploads = stack.blobService.getContainerClient(storageNames.uploadsContainer);
    assert.equal(await uploads.getBlobClient(`${tenantA.id}/${image.id}`).exists(), true);
    const deleted = await fetch(`${stack.url}/api/jobs/${String(job.id)}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
    assert.equal(deleted.status, 204);
    assert.equal(await uploads.getBlobClient(`${tenantA.id}/${image.id}`).exists(), false);
    assert.equal(await uploads.getBlobClient(`${tenantA.id}/${image.id}.claim`).exists(), false);
  });

  /** Every blob (snapshots too) of an upload: the picture, its snapshots, its claim. */
  async function blobsOfUpload(uploadId: string): Promise<string[]> {
    const names: string[] = [];
    const uploads = stack.blobService.getContainerClient(storageNames.uploadsContainer);
    for await (const blob of uploads.listBlobsFlat({ prefix: `${tenantA.id}/${uploadId}`, includeSnapshots: true })) names.push(`${blob.name}${blob.snapshot ? `@${blob.snapshot}` : ''}`);
    return names;
  }

  // Issue 21, item 1: the link's create permission lets its holder snapshot the blob (Azure's `c` includes
  // it; no SAS can forbid it), and storage will not delete a blob with snapshots unless told to.
  it('erases a job whose upload was snapshotted through its link: 204, then 404, nothing left', async () => {
    const image = await upload(await picture(256, 256));
    const snapshot = await fetch(`${image.uploadUrl}&comp=snapshot`, { method: 'PUT' });
    assert.equal(snapshot.status, 201, 'a create-only link can snapshot its blob');
    const job = await run({ kind: 'edit', prompt: `A pond ${Date.now()}`, images: [{ uploadId: image.id }] });
    assert.equal(job.status, 'Succeeded', JSON.stringify(job.error));
    assert.equal((await blobsOfUpload(image.id)).length, 3, 'the picture, its snapshot and its claim');
    const deleted = await fetch(`${stack.url}/api/jobs/${String(job.id)}`, { method: 'DELETE', headers: { 'api-key': tenantA.key } });
    assert.equal(deleted.status, 204, await deleted.text());
    assert.equal((await stack.getJob(String(job.id))).status, 404);
    assert.deepEqual(await blobsOfUpload(image.id), []);
  });

  it('deletes old uploads with their snapshots, and goes on past one it cannot delete, reporting it', async () => {
    const snapshotted = await upload(await picture(256, 256));
    assert.equal((await fetch(`${snapshotted.uploadUrl}&comp=snapshot`, { method: 'PUT' })).status, 201);
    const plain = await upload(await picture(256, 256));
    // School B's names sort after every one of school A's, so this one is listed after the stuck one.
    const listedLater = await upload(await picture(256, 256), tenantB.key);
    // A blob under a lease the cleanup does not hold cannot be deleted (412): a failure that stays.
    const stuck = await upload(await picture(256, 256));
    const lease = stack.blobService.getContainerClient(storageNames.uploadsContainer).getBlobClient(`${tenantA.id}/${stuck.id}`).getBlobLeaseClient();
    await lease.acquireLease(-1);
    try {
      const errors: string[] = [];
      const log: Logger = { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) };
      const report = await deleteExpiredJobs(createServices(loadConfig(stack.env)), log, new Date(Date.now() + 25 * 3600_000));
      assert.deepEqual(await blobsOfUpload(snapshotted.id), [], 'the snapshotted upload is gone, snapshot and all');
      assert.deepEqual(await blobsOfUpload(plain.id), []);
      assert.equal(await stack.blobService.getContainerClient(storageNames.uploadsContainer).getBlobClient(`${tenantB.id}/${listedLater.id}`).exists(), false, 'one listed after the failure is deleted too');
      assert.deepEqual(report.failures.map((f) => f.item), [`upload ${tenantA.id}/${stuck.id}`]);
      assert.match(report.failures[0]?.reason ?? '', /^412 /);
      assert.ok(errors.some((line) => line.includes(stuck.id)), 'the failure is logged');
    } finally {
      await lease.releaseLease();
    }
  });
});
