import { BlockList, isIP } from 'node:net';

/**
 * The IP address ranges a webhook may not target, with the registry entry each comes from, so a refusal can
 * name its rule. Sources: IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890), IANA's IPv6
 * Address Space registry (everything outside 2000::/3 is unallocated or not global unicast), the multicast
 * blocks, and the cloud platforms' own addresses.
 *
 * Every special-purpose entry is refused, the few the registry calls globally reachable too: those are
 * anycast infrastructure (PCP and TURN servers, AMT relays, AS112 DNS sinks, ORCHID identifiers, drone
 * tags), never an LMS's receiver. The one exception is NAT64's well-known prefix 64:ff9b::/96, which
 * reaches the IPv4 internet through a translator: it is judged by the IPv4 address it carries (RFC 6052
 * forbids it for non-global IPv4 addresses, and a translator would take 64:ff9b::a9fe:a9fe to the metadata
 * service). The other forms that carry an IPv4 address are refused whole:
 * - ::ffff:0:0/96 (IPv4-mapped): a name never resolves to one (the resolver is not asked for mapped
 *   answers), and a URL can spell the IPv4 address itself;
 * - ::ffff:0:0:0/96 (SIIT IPv4-translated, RFC 6145) and ::/96 (IPv4-compatible, deprecated): inside
 *   ::/8, which IANA reserves;
 * - 64:ff9b:1::/48 (local-use NAT64): where the IPv4 sits depends on the operator's prefix length;
 * - 2002::/16 (6to4) and 2001::/32 (Teredo): tunnels to an IPv4 address, deprecated for public relays.
 */

export interface AddressRange {
  /** CIDR, as the registry writes it. */
  readonly cidr: string;
  readonly name: string;
  /** The RFC (or other source) that set it aside. */
  readonly source: string;
}

const ipv4Ranges: readonly AddressRange[] = [
  { cidr: '0.0.0.0/8', name: '"this network"', source: 'RFC 791' },
  { cidr: '0.0.0.0/32', name: '"this host on this network"', source: 'RFC 1122' },
  { cidr: '10.0.0.0/8', name: 'private use', source: 'RFC 1918' },
  { cidr: '100.64.0.0/10', name: 'shared address space (carrier-grade NAT)', source: 'RFC 6598' },
  { cidr: '127.0.0.0/8', name: 'loopback', source: 'RFC 1122' },
  { cidr: '169.254.0.0/16', name: 'link-local', source: 'RFC 3927' },
  { cidr: '172.16.0.0/12', name: 'private use', source: 'RFC 1918' },
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments', source: 'RFC 6890' },
  { cidr: '192.0.0.0/29', name: 'IPv4 service continuity prefix', source: 'RFC 7335' },
  { cidr: '192.0.0.8/32', name: 'IPv4 dummy address', source: 'RFC 7600' },
  { cidr: '192.0.0.9/32', name: 'Port Control Protocol anycast', source: 'RFC 7723' },
  { cidr: '192.0.0.10/32', name: 'TURN anycast', source: 'RFC 8155' },
  { cidr: '192.0.0.170/31', name: 'NAT64/DNS64 discovery', source: 'RFC 8880' },
  { cidr: '192.0.2.0/24', name: 'documentation (TEST-NET-1)', source: 'RFC 5737' },
  { cidr: '192.31.196.0/24', name: 'AS112-v4', source: 'RFC 7535' },
  { cidr: '192.52.193.0/24', name: 'Automatic Multicast Tunneling', source: 'RFC 7450' },
  { cidr: '192.88.99.0/24', name: '6to4 relay anycast (deprecated)', source: 'RFC 7526' },
  { cidr: '192.168.0.0/16', name: 'private use', source: 'RFC 1918' },
  { cidr: '192.175.48.0/24', name: 'direct delegation AS112 service', source: 'RFC 7534' },
  { cidr: '198.18.0.0/15', name: 'benchmarking', source: 'RFC 2544' },
  { cidr: '198.51.100.0/24', name: 'documentation (TEST-NET-2)', source: 'RFC 5737' },
  { cidr: '203.0.113.0/24', name: 'documentation (TEST-NET-3)', source: 'RFC 5737' },
  { cidr: '224.0.0.0/4', name: 'multicast', source: 'RFC 5771' },
  { cidr: '240.0.0.0/4', name: 'reserved', source: 'RFC 1112' },
  { cidr: '255.255.255.255/32', name: 'limited broadcast', source: 'RFC 919' },
  // Azure's virtual public IP for platform services (DNS, DHCP, health probes): reachable from every VM.
  { cidr: '168.63.129.16/32', name: 'Azure platform services', source: 'Azure' },
];

const ipv6Ranges: readonly AddressRange[] = [
  // IANA IPv6 Special-Purpose Address Registry.
  { cidr: '::/128', name: 'unspecified', source: 'RFC 4291' },
  { cidr: '::1/128', name: 'loopback', source: 'RFC 4291' },
  { cidr: '::ffff:0:0/96', name: 'IPv4-mapped', source: 'RFC 4291' },
  { cidr: '64:ff9b:1::/48', name: 'local-use IPv4/IPv6 translation', source: 'RFC 8215' },
  { cidr: '100::/64', name: 'discard-only', source: 'RFC 6666' },
  { cidr: '100:0:0:1::/64', name: 'dummy IPv6 prefix', source: 'RFC 9780' },
  { cidr: '2001::/23', name: 'IETF protocol assignments', source: 'RFC 2928' },
  { cidr: '2001::/32', name: 'Teredo', source: 'RFC 4380' },
  { cidr: '2001:1::1/128', name: 'Port Control Protocol anycast', source: 'RFC 7723' },
  { cidr: '2001:1::2/128', name: 'TURN anycast', source: 'RFC 8155' },
  { cidr: '2001:1::3/128', name: 'DNS-SD service registration protocol anycast', source: 'RFC 9665' },
  { cidr: '2001:2::/48', name: 'benchmarking', source: 'RFC 5180' },
  { cidr: '2001:3::/32', name: 'Automatic Multicast Tunneling', source: 'RFC 7450' },
  { cidr: '2001:4:112::/48', name: 'AS112-v6', source: 'RFC 7535' },
  { cidr: '2001:10::/28', name: 'ORCHID (deprecated)', source: 'RFC 4843' },
  { cidr: '2001:20::/28', name: 'ORCHIDv2', source: 'RFC 7343' },
  { cidr: '2001:30::/28', name: 'drone remote ID entity tags', source: 'RFC 9374' },
  { cidr: '2001:db8::/32', name: 'documentation', source: 'RFC 3849' },
  { cidr: '2002::/16', name: '6to4', source: 'RFC 3056' },
  { cidr: '2620:4f:8000::/48', name: 'direct delegation AS112 service', source: 'RFC 7534' },
  { cidr: '3fff::/20', name: 'documentation', source: 'RFC 9637' },
  { cidr: '5f00::/16', name: 'segment routing (SRv6) SIDs', source: 'RFC 9602' },
  { cidr: 'fc00::/7', name: 'unique local', source: 'RFC 4193' },
  { cidr: 'fe80::/10', name: 'link-local', source: 'RFC 4291' },
  // Older forms that carry an IPv4 address (see above), not in today's registry.
  { cidr: '::/96', name: 'IPv4-compatible (deprecated)', source: 'RFC 4291' },
  { cidr: '::ffff:0:0:0/96', name: 'IPv4-translated', source: 'RFC 6145' },
  // IANA IPv6 Address Space: only 2000::/3 is global unicast; the rest is reserved, local or multicast.
  { cidr: '::/8', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '100::/8', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '200::/7', name: 'reserved by IETF', source: 'RFC 4048' },
  { cidr: '400::/6', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '800::/5', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '1000::/4', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '4000::/3', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '6000::/3', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: '8000::/3', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'a000::/3', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'c000::/3', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'e000::/4', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'f000::/5', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'f800::/6', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'fe00::/9', name: 'reserved by IETF', source: 'RFC 4291' },
  { cidr: 'fec0::/10', name: 'site-local (deprecated)', source: 'RFC 3879' },
  { cidr: 'ff00::/8', name: 'multicast', source: 'RFC 4291' },
];

/** The NAT64 well-known prefix: judged by the IPv4 address in its last 32 bits (see above). */
export const nat64WellKnownPrefix: AddressRange = { cidr: '64:ff9b::/96', name: 'IPv4/IPv6 translation', source: 'RFC 6052' };

/**
 * Cloud endpoints that no receiver ever lives at, refused even in local development: the instance metadata
 * service (Azure, AWS, GCP, Oracle) and AWS's IPv6 form of it, and Azure's platform address.
 */
const cloudEndpoints: ReadonlyMap<string, string> = new Map([
  ['169.254.169.254', 'the cloud instance metadata service'],
  ['168.63.129.16', 'Azure\'s platform services address'],
  ['fd00:ec2:0:0:0:0:0:254', 'the cloud instance metadata service (AWS, IPv6)'],
]);

interface CompiledRange {
  readonly range: AddressRange;
  readonly prefix: number;
  readonly list: BlockList;
}

/** One BlockList per range, so a match can name its range; the narrowest range first. */
function compile(ranges: readonly AddressRange[], family: 'ipv4' | 'ipv6'): readonly CompiledRange[] {
  return ranges
    .map((range) => {
      const [network = '', prefixText = ''] = range.cidr.split('/');
      const prefix = Number(prefixText);
      const list = new BlockList();
      list.addSubnet(network, prefix, family);
      return { range, prefix, list };
    })
    .sort((a, b) => b.prefix - a.prefix);
}

const compiledIPv4 = compile(ipv4Ranges, 'ipv4');
const compiledIPv6 = compile(ipv6Ranges, 'ipv6');
const nat64 = compile([nat64WellKnownPrefix], 'ipv6')[0];

export interface Refusal {
  readonly range: AddressRange;
  /** For a NAT64 address (64:ff9b::/96): the IPv4 address it carries, whose range refused it. */
  readonly carried?: string;
}

/**
 * Why an IP address may not be a webhook target: the narrowest refused range that holds it, or for the
 * NAT64 well-known prefix the range of the IPv4 address it carries. Undefined for a public address. Each
 * family is checked against its own ranges only (BlockList would also match IPv4 against ::ffff:0:0/96).
 */
export function refusalOf(address: string): Refusal | undefined {
  const family = isIP(address);
  if (family === 4) {
    const range = compiledIPv4.find(({ list }) => list.check(address, 'ipv4'))?.range;
    return range && { range };
  }
  if (family !== 6) return undefined;
  if (nat64?.list.check(address, 'ipv6')) {
    const carried = carriedIPv4(address)[0] ?? '0.0.0.0';
    const inner = refusalOf(carried);
    return inner && { range: inner.range, carried };
  }
  const range = compiledIPv6.find(({ list }) => list.check(address, 'ipv6'))?.range;
  return range && { range };
}

/** The eight 16-bit groups of an IPv6 address (already checked with isIP), zone id dropped. */
function ipv6Groups(address: string): number[] {
  let text = (address.split('%')[0] ?? '').toLowerCase();
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    tail.push(((a ?? 0) << 8) | (b ?? 0), ((c ?? 0) << 8) | (d ?? 0));
    text = text.slice(0, dotted.index);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const [left = '', right] = text.split('::');
  const head = parse(left);
  const rest = right === undefined ? [] : parse(right);
  const zeros = right === undefined ? [] : new Array<number>(8 - tail.length - head.length - rest.length).fill(0);
  return [...head, ...zeros, ...rest, ...tail];
}

function ipv6Bytes(address: string): number[] {
  return ipv6Groups(address).flatMap((group) => [group >> 8, group & 255]);
}

const dottedQuad = (bytes: readonly number[]) => bytes.join('.');

/** The canonical (uncompressed, lower-case) spelling, for comparing IPv6 addresses. */
function fullIPv6(address: string): string {
  return ipv6Groups(address)
    .map((group) => group.toString(16))
    .join(':');
}

/**
 * Every IPv4 address an IPv6 address may carry, by the forms that carry one: mapped, translated and
 * compatible (last 32 bits), NAT64 (RFC 6052 at each prefix length 64:ff9b:1::/48 allows, and /96), 6to4
 * (bits 16-47), Teredo (the server, bits 32-63, and the client, last 32 bits inverted).
 */
export function carriedIPv4(address: string): string[] {
  const bytes = ipv6Bytes(address);
  const at = (...indexes: number[]) => dottedQuad(indexes.map((index) => bytes[index] ?? 0));
  const last = at(12, 13, 14, 15);
  const groups = ipv6Groups(address);
  const startsWith = (...prefix: number[]) => prefix.every((group, index) => groups[index] === group);
  if (startsWith(0, 0, 0, 0, 0)) return [last];
  if (startsWith(0, 0, 0, 0, 0xffff, 0)) return [last];
  if (startsWith(0x64, 0xff9b, 0, 0, 0, 0)) return [last];
  // RFC 6052 section 2.2: bits 64-71 are always zero, so the address skips byte 8.
  if (startsWith(0x64, 0xff9b, 1)) return [at(6, 7, 9, 10), at(7, 9, 10, 11), at(9, 10, 11, 12), last];
  if (startsWith(0x2002)) return [at(2, 3, 4, 5)];
  if (startsWith(0x2001, 0)) return [at(4, 5, 6, 7), dottedQuad([12, 13, 14, 15].map((index) => (bytes[index] ?? 0) ^ 255))];
  return [];
}

/** Which cloud endpoint this address is, or reaches through an IPv4 form it carries; undefined for any other. */
export function cloudEndpointOf(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return cloudEndpoints.get(address);
  if (family !== 6) return undefined;
  const direct = cloudEndpoints.get(fullIPv6(address));
  if (direct) return direct;
  for (const carried of carriedIPv4(address)) {
    const endpoint = cloudEndpoints.get(carried);
    if (endpoint) return `${endpoint} (${carried})`;
  }
  return undefined;
}
