import { app, type HttpHandler } from '@azure/functions';
import { buildOpenApiDocument } from '../shared/api/openapi';
import { cloudOf } from '../shared/config/config';
import { describeSizeRule, formatsFor } from '../shared/models/modelCatalogue';
import { getServices, type Services } from './lib/services';
import { json, respond } from './lib/http';

/** The document depends only on the configuration, so it is built once per process. */
export function openApiDocumentFor(services: Pick<Services, 'requestParser' | 'profile' | 'config'>): Record<string, unknown> {
  const { profile, config } = services;
  return buildOpenApiDocument(services.requestParser, {
    version: '0.1.0',
    modelSummary:
      `Model ${profile.name}: size ${describeSizeRule(profile)}; quality ${profile.qualities.join(', ') || 'not settable'}; ` +
      `outputFormat ${formatsFor(profile, cloudOf(config.imageProvider)).join(', ')}; n from 1 to ${config.maxImagesPerJob}.`,
  });
}

/** GET /api/openapi.json: the API's OpenAPI 3.1 document, for generating a client. Public, like the API's shape. */
export function getOpenApiHandler(services: Pick<Services, 'requestParser' | 'profile' | 'config'>): HttpHandler {
  let document: Record<string, unknown> | undefined;
  return respond(() => {
    document ??= openApiDocumentFor(services);
    return json(200, document, { 'Cache-Control': 'public, max-age=300' });
  });
}

app.http('getOpenApi', { route: 'openapi.json', methods: ['GET'], authLevel: 'anonymous', handler: getOpenApiHandler(getServices()) });
