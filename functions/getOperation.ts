import { app, type HttpHandler } from '@azure/functions';
import { requireTenant } from '../shared/access/callers';
import { NotFoundError } from '../shared/errors';
import { isOperationTerminal, renderOperation } from '../shared/privacy/operation';
import { getServices, type Services } from './lib/services';
import { json, respond } from './lib/http';

const operationIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** GET /api/operations/{id}: a long-running operation's status (a student's erasure), for its own school only. */
export function getOperationHandler(services: Services): HttpHandler {
  return respond(async (request) => {
    const tenant = requireTenant(services, request.headers.get('api-key'));
    const id = request.params['id'] ?? '';
    const operation = operationIdPattern.test(id) ? await services.operations.get(id) : undefined;
    // Another school's operation is answered as one that does not exist, so ids cannot be probed.
    if (!operation || operation.tenantId !== tenant.id) throw new NotFoundError('NotFound', `There is no operation with id '${id.slice(0, 64)}'.`, { target: 'id' });
    const body = renderOperation(operation);
    return json(200, body, isOperationTerminal(operation.status) ? {} : { 'Retry-After': String(services.config.statusRetryAfterInSeconds) });
  });
}

app.http('getOperation', { route: 'operations/{id}', methods: ['GET'], authLevel: 'anonymous', handler: getOperationHandler(getServices()) });
