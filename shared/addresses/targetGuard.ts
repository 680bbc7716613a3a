import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { cloudEndpointOf, refusalOf } from './specialAddresses';

/**
 * The SSRF guard for webhook targets. A tenant chooses the URL, and the service calls it from inside its
 * network, so: https only, and the address the name resolves to (every address, not just the name) must be
 * public: outside every range of IANA's special-purpose registries and the reserved IPv6 space, multicast,
 * and Azure's platform address (specialAddresses.ts has the table, and why each IPv4-in-IPv6 form is
 * refused or judged). The sender then connects to exactly the address checked here (no second lookup that
 * a rebinding DNS could answer differently). WEBHOOKS_ALLOW_PRIVATE_TARGETS (local development only) lifts
 * both rules, except for the cloud metadata service and Azure's platform address: no receiver lives there.
 *
 * A URL whose host is an IP literal is also checked at submit (literalTargetRefusal), so a client hears at
 * once rather than from a failed delivery; a name is only resolved when delivering.
 */

/** Why this IP address may not be a webhook target (naming the rule), or undefined when it is public. */
export function forbiddenAddressReason(address: string): string | undefined {
  if (isIP(address) === 0) return `${address} is not an IP address`;
  return cloudEndpointReason(address) ?? rangeReason(address);
}

function cloudEndpointReason(address: string): string | undefined {
  const endpoint = cloudEndpointOf(address);
  return endpoint && `${address} is ${endpoint}, which webhooks may never target`;
}

function rangeReason(address: string): string | undefined {
  const refusal = refusalOf(address);
  if (!refusal) return undefined;
  const { range, carried } = refusal;
  const rule = `${range.cidr} (${range.name}, ${range.source})`;
  return carried ? `${address} carries ${carried}, which is in ${rule}; webhooks may not target it` : `${address} is in ${rule}, which webhooks may not target`;
}

/** The reason an address is refused under these options, or undefined. */
function addressVerdict(address: string, options: Pick<TargetGuardOptions, 'allowPrivateTargets'>): string | undefined {
  return options.allowPrivateTargets ? cloudEndpointReason(address) : forbiddenAddressReason(address);
}

/**
 * What can be refused at submit, before anything is stored: plain http where only https is sent, and a URL
 * whose host is an IP literal (after the URL parser's normalising: 0x7f.1 is 127.0.0.1) that webhooks may
 * not target. Undefined for a host name (resolved and checked when delivering) or an allowed address.
 */
export function literalTargetRefusal(target: string, options: Pick<TargetGuardOptions, 'allowPrivateTargets'>): string | undefined {
  if (!URL.canParse(target)) return undefined;
  const url = new URL(target);
  if (url.protocol !== 'https:' && !options.allowPrivateTargets) return 'webhooks are sent over https only (http is allowed only with WEBHOOKS_ALLOW_PRIVATE_TARGETS, for local development)';
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(hostname) ? addressVerdict(hostname, options) : undefined;
}

export interface ResolvedTarget {
  readonly url: URL;
  /** The address to connect to: the one that was checked. */
  readonly address: string;
  readonly family: 4 | 6;
}

export type TargetVerdict = { readonly ok: true; readonly target: ResolvedTarget } | { readonly ok: false; readonly reason: string; readonly transient: boolean };

export interface TargetGuardOptions {
  readonly allowPrivateTargets: boolean;
  /** All addresses of a name; dns.lookup by default (tests pass a fake resolver). */
  readonly resolve?: (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;
}

const resolveAll = (hostname: string) => lookup(hostname, { all: true, verbatim: true });

/** Checks a target URL and resolves it to one address that may be called. */
export async function checkWebhookTarget(target: string, options: TargetGuardOptions): Promise<TargetVerdict> {
  if (!URL.canParse(target)) return { ok: false, reason: 'not a URL', transient: false };
  const url = new URL(target);
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL', transient: false };
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && options.allowPrivateTargets)) {
    return { ok: false, reason: 'webhooks are sent over https only', transient: false };
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ReadonlyArray<{ address: string; family: number }>;
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIP(hostname) }];
  } else {
    try {
      addresses = await (options.resolve ?? resolveAll)(hostname);
    } catch {
      return { ok: false, reason: `the host name ${hostname.slice(0, 100)} does not resolve`, transient: true };
    }
  }
  const first = addresses[0];
  if (!first) return { ok: false, reason: `the host name ${hostname.slice(0, 100)} does not resolve`, transient: true };
  // Every address: a name that resolves to one public and one private address is refused.
  for (const { address } of addresses) {
    const reason = addressVerdict(address, options);
    if (reason) return { ok: false, reason, transient: false };
  }
  return { ok: true, target: { url, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
