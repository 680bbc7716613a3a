import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { ServiceUnavailableError } from '../shared/errors';
import { getServices, type Services } from './lib/services';
import type { UploadResource } from '../shared/storage/uploadStore';
import { json, respond } from './lib/http';

/** How long an upload link may be used: long enough for a phone on a slow school network. */
const uploadLinkMinutes = 15;

/**
 * POST /api/uploads: a place for one picture (for an edit or a variation). Answers 201 with the upload's id
 * and a create-only SAS link to one blob; the client PUTs the file there (header x-ms-blob-type: BlockBlob),
 * so the picture never passes through this app. The job then names the upload id.
 */
export function createUploadHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    try {
      await services.ensureStorage();
    } catch (error) {
      throw new ServiceUnavailableError('No upload place could be made.', { cause: error });
    }
    const upload = services.uploads.create(tenant.id);
    const expiresOn = new Date(Date.now() + uploadLinkMinutes * 60_000);
    const uploadUrl = await services.links.uploadLinkFor(services.uploads.containerName, upload.blobName, expiresOn);
    const body: UploadResource = { id: upload.id, uploadUrl, expiresOn: expiresOn.toISOString(), method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' } };
    return json(201, body);
  });
}

app.http('createUpload', { route: 'uploads', methods: ['POST'], authLevel: 'anonymous', handler: createUploadHandler(getServices()) });
