import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard for webhook targets. A tenant chooses the URL, and the service calls it from inside its
 * network, so: https only, and the address the name resolves to (every address, not just the name) must be
 * public: not loopback, private, link-local (which holds the cloud metadata service, 169.254.169.254),
 * carrier-grade NAT, multicast, reserved, documentation, or Azure's platform address 168.63.129.16. IPv4
 * inside IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::/96) is judged as the IPv4 address it carries. The sender
 * then connects to exactly the address checked here (no second lookup that a rebinding DNS could answer
 * differently). WEBHOOKS_ALLOW_PRIVATE_TARGETS (local development only) lifts both rules.
 */

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. the metadata service 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and broadcast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
// Azure's virtual public IP for platform services (DNS, DHCP, health probes): reachable from every VM.
blocked.addAddress('168.63.129.16', 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2001::', 23], // IETF protocol assignments (Teredo and others)
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local (private)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['fd00:ec2::', 32], // AWS's IPv6 metadata service (already in fc00::/7; named for the reader)
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d or NAT64 64:ff9b::/96), if any. */
function embeddedIPv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return undefined;
  const high = parseInt(hex[1] ?? '0', 16);
  const low = parseInt(hex[2] ?? '0', 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Why this IP address may not be a webhook target, or undefined when it is public. */
export function forbiddenAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4 !== undefined) return forbiddenAddressReason(v4);
    return blocked.check(address, 'ipv6') ? `${address} is not a public address` : undefined;
  }
  return blocked.check(address, 'ipv4') ? `${address} is not a public address` : undefined;
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
  if (!options.allowPrivateTargets) {
    // Every address: a name that resolves to one public and one private address is refused.
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason) return { ok: false, reason, transient: false };
    }
  }
  return { ok: true, target: { url, address: first.address, family: first.family === 6 ? 6 : 4 } };
}
