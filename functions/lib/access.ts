import type { HttpRequest } from '@azure/functions';
import type { AccessEntry } from '../../shared/storage/accessLogStore';

/** The access-log entry for a request (shared/privacy/accessLog.ts): the route and query as sent, never a body. */
export function accessEntryFor(request: HttpRequest, tenantId: string, keyLabel: string, action: string): AccessEntry {
  const url = URL.canParse(request.url) ? new URL(request.url) : undefined;
  return { tenantId, keyLabel, action, method: request.method, path: url?.pathname ?? '', query: url?.search.replace(/^\?/, '') ?? '' };
}
