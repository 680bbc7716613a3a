import type { HttpRequest } from '@azure/functions';
import type { AccessEntry } from '../../shared/storage/accessLogStore';

/**
 * The access-log entry for a request (shared/privacy/accessLog.ts): the route and query as sent, never a body,
 * with the student id (a student route's `{user}`, a listing's `user`) replaced by `{student}` and kept as its
 * pseudonym, because the log outlives the student's erasure.
 */
export function accessEntryFor(request: HttpRequest, tenantId: string, keyLabel: string, action: string, studentKeyOf: (user: string) => string): AccessEntry {
  const url = URL.canParse(request.url) ? new URL(request.url) : undefined;
  const routeUser = request.params['user'];
  const queryUser = url?.searchParams.get('user') ?? undefined;
  const user = routeUser ?? queryUser;
  if (url && queryUser !== undefined) url.searchParams.set('user', '{student}');
  const path = (url?.pathname ?? '').replace(/\/students\/[^/]+/, '/students/{student}');
  const query = (url?.search.replace(/^\?/, '') ?? '').replace(/%7Bstudent%7D/g, '{student}');
  return { tenantId, keyLabel, action, method: request.method, path, query, ...(user !== undefined && user !== '' ? { student: studentKeyOf(user) } : {}) };
}
