import { app, type HttpHandler } from '@azure/functions';
import { requireTenantKey } from '../shared/access/callers';
import { withAccessRecord } from '../shared/privacy/accessLog';
import { exportStudent, parseStudentExportQuery } from '../shared/privacy/studentExport';
import { parseStudentParam } from '../shared/privacy/studentParam';
import { getServices, type Services } from './lib/services';
import { accessEntryFor } from './lib/access';
import { apiUrl, jobUrl, json, respond } from './lib/http';

/** GET /api/students/{user}/export[?continuationToken=]: everything kept about one of the school's students, paged (shared/privacy/studentExport.ts). */
export function exportStudentHandler(services: Services): HttpHandler {
  return respond(async (request, context) => {
    const { tenant, keyLabel } = requireTenantKey(services, request.headers.get('api-key'));
    const user = parseStudentParam(request.params['user']);
    const { continuationToken } = parseStudentExportQuery(Object.fromEntries(request.query.entries()));
    return withAccessRecord(services, accessEntryFor(request, tenant.id, keyLabel, 'exportStudent', (user) => services.pseudonyms.studentKey(tenant.id, user)), context, async () => {
      const urls = { exportUrl: apiUrl(request, `students/${encodeURIComponent(user)}/export`, services.config), jobUrlFor: (id: string) => jobUrl(request, id, services.config) };
      return json(200, await exportStudent(services, tenant, user, continuationToken, urls));
    });
  });
}

app.http('exportStudent', { route: 'students/{user}/export', methods: ['GET'], authLevel: 'anonymous', handler: exportStudentHandler(getServices()) });
