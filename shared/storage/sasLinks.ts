import {
  BlobSASPermissions,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
  type UserDelegationKey,
} from '@azure/storage-blob';

/**
 * Read-only links to one blob each, valid for a short time. With a connection string (Azurite, or an
 * account that still allows shared keys) they are service SAS signed with the account key; with an
 * identity they are user-delegation SAS, so no account key is ever needed.
 */
export interface SasLinkSigner {
  /** The origin every link starts with (the blob endpoint): the studio page's CSP allows images from it. */
  readonly origin: string;
  /**
   * A read-only link to one blob. With `downloadAs`, storage answers it as an attachment with that file name
   * (the signed `rscd` override), so a browser saves it: `<a download>` is ignored across origins.
   */
  linkFor(containerName: string, blobName: string, expiresOn: Date, options?: LinkOptions): Promise<string>;
  /**
   * A create-only link to one blob that does not exist yet: it can write that blob once and nothing else
   * (no read, no overwrite, no list, no lease, no other blob). For uploads, so pictures never pass through
   * the app. It can also snapshot that blob: Azure's `c` means "write a new blob, snapshot a blob, or copy a
   * blob to a new blob", and every permission that can write (`c`, `w`) includes the snapshot, so no SAS
   * can forbid it (Azurite agrees: `PUT …&comp=snapshot` with `sp=c` answers 201). Every delete of an upload
   * therefore takes its snapshots (storage/deletions.ts), and so do the lifecycle rules (infra/).
   */
  uploadLinkFor(containerName: string, blobName: string, expiresOn: Date): Promise<string>;
}

export interface LinkOptions {
  /** A plain file name (letters, digits, . _ -) to save the blob as. */
  readonly downloadAs?: string;
}

/** Starts a link's validity a little in the past so a client whose clock runs behind can use it at once. */
const clockSkewInMs = 5 * 60_000;
/** A user-delegation key is requested for this long and reused until shortly before it expires. */
const delegationKeyLifetimeInMs = 6 * 60 * 60_000;

export function createSasLinkSigner(blobService: BlobServiceClient): SasLinkSigner {
  const httpsOnly = new URL(blobService.url).protocol === 'https:';
  const protocol = httpsOnly ? SASProtocol.Https : SASProtocol.HttpsAndHttp;
  const credential = blobService.credential;
  const sharedKey = credential instanceof StorageSharedKeyCredential ? credential : undefined;
  let delegationKey: { key: Promise<UserDelegationKey>; validUntil: number } | undefined;

  // A status read signs a dozen links; building a blob client for each only to read its URL was the
  // largest part of the host's CPU in that read (a profile under `npm run bench`'s status load). The
  // container's URL is the SDK's own; the blob name is escaped per path segment, as the SDK does.
  const containerUrls = new Map<string, string>();
  function blobUrlFor(containerName: string, blobName: string): string {
    let containerUrl = containerUrls.get(containerName);
    if (containerUrl === undefined) {
      containerUrl = blobService.getContainerClient(containerName).url.replace(/\/+$/, '');
      containerUrls.set(containerName, containerUrl);
    }
    return `${containerUrl}/${blobName.split('/').map(encodeURIComponent).join('/')}`;
  }

  async function userDelegationKeyValidUntil(expiresOn: Date): Promise<UserDelegationKey> {
    const now = Date.now();
    if (!delegationKey || delegationKey.validUntil < expiresOn.getTime()) {
      const startsOn = new Date(now - clockSkewInMs);
      const keyExpiresOn = new Date(Math.max(now + delegationKeyLifetimeInMs, expiresOn.getTime() + 60_000));
      const key = blobService.getUserDelegationKey(startsOn, keyExpiresOn);
      delegationKey = { key, validUntil: keyExpiresOn.getTime() };
      // A failed request must not be cached.
      key.catch(() => {
        delegationKey = undefined;
      });
    }
    return delegationKey.key;
  }

  async function sign(containerName: string, blobName: string, expiresOn: Date, permissions: 'r' | 'c', options: LinkOptions = {}): Promise<string> {
    if (options.downloadAs !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(options.downloadAs)) throw new Error(`Not a plain file name: ${options.downloadAs}`);
    const values = {
      containerName,
      blobName,
      permissions: BlobSASPermissions.parse(permissions),
      startsOn: new Date(Date.now() - clockSkewInMs),
      expiresOn,
      protocol,
      ...(options.downloadAs !== undefined ? { contentDisposition: `attachment; filename="${options.downloadAs}"` } : {}),
    };
    const query = sharedKey
      ? generateBlobSASQueryParameters(values, sharedKey)
      : generateBlobSASQueryParameters(
          values,
          await userDelegationKeyValidUntil(expiresOn),
          blobService.accountName,
        );
    return `${blobUrlFor(containerName, blobName)}?${query.toString()}`;
  }

  return {
    origin: new URL(blobService.url).origin,
    linkFor: (containerName, blobName, expiresOn, options) => sign(containerName, blobName, expiresOn, 'r', options),
    uploadLinkFor: (containerName, blobName, expiresOn) => sign(containerName, blobName, expiresOn, 'c'),
  };
}
