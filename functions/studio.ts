import { app, type HttpHandler, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { NotFoundError } from '../shared/errors';
import { getServices, type Services } from './lib/services';
import { loadStudioAssets, studioHeaders, type StudioAsset } from '../shared/studio/studioAssets';
import { respond } from './lib/http';

/**
 * GET /api/studio: the studio page, and GET /api/studio/{file} its script and style. Under /api like every
 * other route (host.json routePrefix), so the same paths work in Azure and in the local host without a
 * proxy or a second app. The page is public; what it can do depends on the session token in its fragment.
 */
export function studioHandler(services: Pick<Services, 'links'>): HttpHandler {
  let assets: ReadonlyMap<string, StudioAsset> | undefined;
  return respond((request: HttpRequest): HttpResponseInit => {
    assets ??= loadStudioAssets();
    const name = request.params['file'] ?? 'studio.html';
    const asset = assets.get(name);
    if (!asset) throw new NotFoundError('NotFound', `The studio has no file '${name.slice(0, 64)}'.`, { target: 'file' });
    const headers = studioHeaders(asset, services.links.origin);
    if (request.headers.get('if-none-match') === asset.etag) return { status: 304, headers };
    return { status: 200, body: asset.body, headers };
  });
}

const handler = studioHandler(getServices());
app.http('studioPage', { route: 'studio', methods: ['GET'], authLevel: 'anonymous', handler });
app.http('studioAsset', { route: 'studio/{file}', methods: ['GET'], authLevel: 'anonymous', handler });
