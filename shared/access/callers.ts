import { NotFoundError, UnauthorizedError } from '../errors';
import { isJobId, type JobRecord } from '../jobs/job';
import type { AppConfig } from '../config/config';
import type { JobStore } from '../storage/jobStore';
import { bearerToken, requireSession, type SessionDeps } from '../sessions/sessions';
import type { StatusTokens } from './statusTokens';
import type { Session } from '../sessions/sessionTokens';
import { authenticateKey, type Tenant } from '../config/tenants';

/**
 * Who is asking: a tenant (an LMS, with its API key), a browser holding one job's status token, or a
 * studio page holding a session token (sessions/). A job is visible only to its own tenant, through a
 * token for exactly that job, or to the session that made it. Anything else is answered as if the job
 * did not exist, so ids cannot be probed.
 */
export type Caller =
  | { readonly kind: 'tenant'; readonly tenant: Tenant; /** The label of the key it presented, where it presented one (the access log). */ readonly keyLabel?: string }
  | { readonly kind: 'statusToken'; readonly jobId: string }
  | { readonly kind: 'session'; readonly session: Session };

/** What telling callers apart needs: the tenants' keys, and the status and session token keys. */
export interface CallerDeps extends SessionDeps {
  readonly statusTokens: Pick<StatusTokens, 'check'>;
}

const unauthorized = () =>
  new UnauthorizedError('Unauthorized', "A valid API key is required in the 'api-key' header (or a status token in a status URL).");

export function requireTenant(services: { readonly config: Pick<AppConfig, 'tenants'> }, apiKey: string | null): Tenant {
  return requireTenantKey(services, apiKey).tenant;
}

/** The tenant and the label of the key it presented (the access log names the key, never the key itself). */
export function requireTenantKey(services: { readonly config: Pick<AppConfig, 'tenants'> }, apiKey: string | null): { tenant: Tenant; keyLabel: string } {
  const found = authenticateKey(services.config.tenants, apiKey);
  if (!found) throw unauthorized();
  return found;
}

/** The caller of a job route: the API key if one is sent, else a session token (Authorization: Bearer), else the status token. */
export function callerForJob(
  services: CallerDeps,
  jobId: string,
  apiKey: string | null,
  token: string | null,
  authorization: string | null = null,
): Caller {
  if (apiKey !== null) return { kind: 'tenant', ...requireTenantKey(services, apiKey) };
  const sessionToken = bearerToken(authorization);
  if (sessionToken !== undefined) return { kind: 'session', session: requireSession(services, sessionToken).session };
  const verdict = token !== null && isJobId(jobId) ? services.statusTokens.check(jobId, token) : 'invalid';
  if (verdict === 'valid') return { kind: 'statusToken', jobId };
  if (verdict === 'expired') {
    // Its own code, so a student's page can say so kindly instead of asking for an API key.
    throw new UnauthorizedError('StatusUrlExpired', 'This link has expired. Ask for a new one (open the picture again from the learning platform).');
  }
  throw unauthorized();
}

export function notFound(jobId: string): NotFoundError {
  return new NotFoundError('NotFound', `There is no job with id '${jobId.slice(0, 64)}'.`, { target: 'id' });
}

/** The job if this caller may see it; otherwise the same 404 as for a job that does not exist. */
export async function findJob(services: { readonly jobs: Pick<JobStore, 'get'> }, jobId: string, caller: Caller): Promise<JobRecord> {
  const job = isJobId(jobId) ? await services.jobs.get(jobId) : undefined;
  const visible = job !== undefined && isVisibleTo(job, caller);
  if (!visible) throw notFound(jobId);
  return job;
}

function isVisibleTo(job: JobRecord, caller: Caller): boolean {
  switch (caller.kind) {
    case 'tenant':
      return job.tenantId === caller.tenant.id;
    case 'statusToken':
      return caller.jobId === job.id;
    case 'session':
      return job.tenantId === caller.session.tenantId && job.sessionId === caller.session.id;
  }
}
