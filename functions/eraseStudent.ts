import { app, output, type HttpHandler } from '@azure/functions';
import { requireTenantKey } from '../shared/access/callers';
import { withAccessRecord } from '../shared/privacy/accessLog';
import { erasureMessageFor, renderOperation } from '../shared/privacy/operation';
import { createStudentErasure } from '../shared/privacy/studentErasure';
import { parseStudentParam } from '../shared/privacy/studentParam';
import { getServices, type Services } from './lib/services';
import { storageNames } from '../shared/storage/storageNames';
import { accessEntryFor } from './lib/access';
import { apiUrl, json, respond } from './lib/http';

/** Sent through the output binding, as a job's message is: the host wakes its own listener at once. */
export const erasureQueueOutput = output.storageQueue({ queueName: storageNames.erasureQueue, connection: 'AzureWebJobsStorage' });

/**
 * DELETE /api/students/{user}: erases everything kept about one of the school's students (right to erasure),
 * as a long-running operation: 202 with Operation-Location (GET /api/operations/{id}) and Retry-After. The
 * answer is the same for a student the school never had: the operation simply finds nothing.
 * The school's key only: a studio session token is a student's, and gets 401.
 */
export function eraseStudentHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const { tenant, keyLabel } = requireTenantKey(services, request.headers.get('api-key'));
    const user = parseStudentParam(request.params['user']);
    return withAccessRecord(services, accessEntryFor(request, tenant.id, keyLabel, 'eraseStudent', (user) => services.pseudonyms.studentKey(tenant.id, user)), context, async () => {
      const operation = await createStudentErasure(services, tenant, user);
      context.extraOutputs.set(erasureQueueOutput, erasureMessageFor(operation.id));
      context.log(`Erasure ${operation.id} requested by tenant ${tenant.id} (key ${keyLabel}).`);
      return json(202, renderOperation(operation), {
        'Operation-Location': apiUrl(request, `operations/${operation.id}`, services.config),
        'Retry-After': String(services.config.statusRetryAfterInSeconds),
      });
    });
  });
}

app.http('eraseStudent', {
  route: 'students/{user}',
  methods: ['DELETE'],
  authLevel: 'anonymous', // the tenant's api-key header (shared/access/callers.ts)
  extraOutputs: [erasureQueueOutput],
  handler: eraseStudentHandler(getServices()),
});
