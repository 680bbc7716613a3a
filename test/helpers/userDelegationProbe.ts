import type { AccessToken, TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { createSasLinkSigner } from '../../shared/storage/sasLinks';

/**
 * Run in a child process whose NODE_EXTRA_CA_CERTS trusts the test's self-signed Azurite certificate:
 * signs user-delegation SAS links with the production signer against an HTTPS, OAuth-checking Azurite and
 * reports what each link may do, as JSON on stdout.
 * Usage: node userDelegationProbe.js <blob service url>
 */

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Azurite's "basic" OAuth checks issuer, audience and times, not the signature. */
const fakeEntraCredential: TokenCredential = {
  getToken(): Promise<AccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      aud: 'https://storage.azure.com',
      iss: 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
      iat: now - 60,
      nbf: now - 60,
      exp: now + 3600,
      oid: '00000000-0000-4000-8000-000000000001',
      tid: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    };
    return Promise.resolve({ token: `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(payload)}.c2lnbmF0dXJl`, expiresOnTimestamp: (now + 3600) * 1000 });
  },
};

async function main(): Promise<void> {
  const blobService = new BlobServiceClient(process.argv[2] ?? '', fakeEntraCredential);
  const container = blobService.getContainerClient('images');
  await container.createIfNotExists();
  await container.getBlockBlobClient('job-a/0.png').uploadData(Buffer.from('picture a'));
  await container.getBlockBlobClient('job-b/0.png').uploadData(Buffer.from('picture b'));
  const signer = createSasLinkSigner(blobService);
  const link = new URL(await signer.linkFor('images', 'job-a/0.png', new Date(Date.now() + 10 * 60_000)));
  const expired = new URL(await signer.linkFor('images', 'job-a/0.png', new Date(Date.now() - 60_000)));
  const other = new URL(link);
  other.pathname = other.pathname.replace('job-a', 'job-b');
  const edited = new URL(link);
  edited.searchParams.set('sp', 'rw');
  const status = async (url: URL, init?: RequestInit) => (await fetch(url, init)).status;
  const result = {
    protocol: link.protocol,
    signedProtocol: link.searchParams.get('spr'),
    userDelegation: link.searchParams.has('skoid'),
    read: await status(link),
    body: await (await fetch(link)).text(),
    otherBlob: await status(other),
    write: await status(link, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' }),
    editedPermissions: await status(edited),
    expired: await status(expired),
  };
  process.stdout.write(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
