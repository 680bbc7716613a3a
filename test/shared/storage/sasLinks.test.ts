import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { createSasLinkSigner } from '../../../shared/storage/sasLinks';

/** The signer builds a link's URL itself (no blob client per link): it must be the URL the SDK would build. */
describe('SAS link URLs', () => {
  // Azurite's well-known development account (public, documented; not a secret).
  const credential = new StorageSharedKeyCredential('devstoreaccount1', 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==');
  const services = [
    new BlobServiceClient('http://127.0.0.1:10000/devstoreaccount1', credential),
    new BlobServiceClient('https://devstoreaccount1.blob.core.windows.net', credential),
    new BlobServiceClient('https://devstoreaccount1.blob.core.windows.net/', credential),
  ];
  const names = ['0b6d2c1e-5b7a-4c1e-9f7d-1b2c3d4e5f60/0.png', '0b6d2c1e.thumbs/1.webp', 'school-a/upload one.png', 'ümlaut/ä+b#c?d%e.png'];

  it('is the SDK blob URL, with the signature as its query', async () => {
    for (const service of services) {
      const signer = createSasLinkSigner(service);
      for (const name of names) {
        const link = await signer.linkFor('images', name, new Date(Date.now() + 60_000));
        const expected = service.getContainerClient('images').getBlobClient(name).url;
        assert.equal(link.slice(0, link.indexOf('?')), expected, name);
        assert.match(link.slice(link.indexOf('?')), /[?&]sig=/);
      }
    }
  });
});
