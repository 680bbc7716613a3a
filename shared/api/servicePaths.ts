import { errorResponse, jsonResponse, unauthorized, unavailable, type Json } from './responses';

/** The routes around the jobs: uploads for edits, usage and budgets, health, and this document. */

export function servicePaths(): Json {
  return {
    '/uploads': {
      post: {
        operationId: 'createUpload',
        summary: 'A place for one picture (for an edit or a variation): PUT the file to uploadUrl, then name the id in a job',
        responses: {
          '201': jsonResponse('A create-only link to one blob, for 15 minutes.', 'Upload', {
            id: '5d1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f',
            uploadUrl: 'https://account.blob.core.windows.net/uploads/demo/5d1e2c9e-4f1a-4c3b-9d2e-7a8b9c0d1e2f?sv=…&sp=c&sig=…',
            expiresOn: '2026-11-25T08:15:00.000Z',
            method: 'PUT',
            headers: { 'x-ms-blob-type': 'BlockBlob' },
          }),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
    '/usage': {
      get: {
        operationId: 'getUsage',
        summary: 'Images used and left today and this month, the estimated spend, and the money budgets the school sets',
        parameters: [{ name: 'user', in: 'query', required: false, description: 'Also this student\'s use today.', schema: { type: 'string' } }],
        responses: {
          '200': jsonResponse('Usage.', 'Usage', { tenant: 'demo', day: { used: 12, limit: 10000, resetsOn: '2026-11-26T00:00:00.000Z', estimatedCost: { currency: 'USD', amount: 0.96 }, budget: { currency: 'USD', reserved: 1.04, limit: 20 } }, month: { used: 40, limit: 200000, resetsOn: '2026-12-01T00:00:00.000Z', estimatedCost: { currency: 'USD', amount: 3.2 } } }),
          '400': errorResponse('user is not a valid student id.', ['InvalidField']),
          '401': unauthorized,
          '503': unavailable,
        },
      },
    },
    '/health': {
      get: {
        operationId: 'getHealth',
        summary: 'Whether storage, the image provider\'s credentials and the model are fine',
        security: [],
        responses: {
          '200': jsonResponse('Healthy.', 'Health', {
            status: 'Healthy',
            checks: { storage: { ok: true }, imageProvider: { ok: true }, model: { ok: true } },
            deployments: [
              { name: 'swedencentral-gpt-image-2', region: 'swedencentral', priority: 1, state: 'available' },
              { name: 'polandcentral-gpt-image-2', region: 'polandcentral', priority: 1, state: 'coolingDown', until: '2026-12-01T08:05:00.000Z' },
            ],
          }),
          '503': jsonResponse('Unhealthy: the failing check says why.', 'Health'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
}
