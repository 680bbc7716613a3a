import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { checkWebhookTarget, forbiddenAddressReason, literalTargetRefusal } from '../../../shared/addresses/targetGuard';

/**
 * IANA's special-purpose address registries (IPv4 and IPv6, RFC 6890; entries as of 2025), written out here
 * rather than imported, so the guard is checked against the registries and not against itself. `global` is
 * the registry's "globally reachable" column (N/A where it says so). Every entry is refused: the
 * non-global ones because they are not the internet, the global ones because they are anycast
 * infrastructure where no receiver lives; 64:ff9b::/96 is judged by the IPv4 address it carries, and its
 * first and last addresses carry 0.0.0.0 and 255.255.255.255.
 */
const ipv4Registry: ReadonlyArray<readonly [cidr: string, name: string, rfc: string, global: boolean | 'N/A']> = [
  ['0.0.0.0/8', '"This network"', 'RFC 791', false],
  ['0.0.0.0/32', '"This host on this network"', 'RFC 1122', false],
  ['10.0.0.0/8', 'Private-Use', 'RFC 1918', false],
  ['100.64.0.0/10', 'Shared Address Space', 'RFC 6598', false],
  ['127.0.0.0/8', 'Loopback', 'RFC 1122', false],
  ['169.254.0.0/16', 'Link Local', 'RFC 3927', false],
  ['172.16.0.0/12', 'Private-Use', 'RFC 1918', false],
  ['192.0.0.0/24', 'IETF Protocol Assignments', 'RFC 6890', false],
  ['192.0.0.0/29', 'IPv4 Service Continuity Prefix', 'RFC 7335', false],
  ['192.0.0.8/32', 'IPv4 dummy address', 'RFC 7600', false],
  ['192.0.0.9/32', 'Port Control Protocol Anycast', 'RFC 7723', true],
  ['192.0.0.10/32', 'Traversal Using Relays around NAT Anycast', 'RFC 8155', true],
  ['192.0.0.170/32', 'NAT64/DNS64 Discovery', 'RFC 8880', false],
  ['192.0.0.171/32', 'NAT64/DNS64 Discovery', 'RFC 8880', false],
  ['192.0.2.0/24', 'Documentation (TEST-NET-1)', 'RFC 5737', false],
  ['192.31.196.0/24', 'AS112-v4', 'RFC 7535', true],
  ['192.52.193.0/24', 'AMT', 'RFC 7450', true],
  ['192.88.99.0/24', 'Deprecated (6to4 Relay Anycast)', 'RFC 7526', 'N/A'],
  ['192.168.0.0/16', 'Private-Use', 'RFC 1918', false],
  ['192.175.48.0/24', 'Direct Delegation AS112 Service', 'RFC 7534', true],
  ['198.18.0.0/15', 'Benchmarking', 'RFC 2544', false],
  ['198.51.100.0/24', 'Documentation (TEST-NET-2)', 'RFC 5737', false],
  ['203.0.113.0/24', 'Documentation (TEST-NET-3)', 'RFC 5737', false],
  ['240.0.0.0/4', 'Reserved', 'RFC 1112', false],
  ['255.255.255.255/32', 'Limited Broadcast', 'RFC 8190, RFC 919', false],
  // Not in the special-purpose registry, refused all the same.
  ['224.0.0.0/4', 'Multicast (IANA multicast registry)', 'RFC 5771', false],
];
const ipv6Registry: ReadonlyArray<readonly [cidr: string, name: string, rfc: string, global: boolean | 'N/A']> = [
  ['::1/128', 'Loopback Address', 'RFC 4291', false],
  ['::/128', 'Unspecified Address', 'RFC 4291', false],
  ['::ffff:0:0/96', 'IPv4-mapped Address', 'RFC 4291', false],
  ['64:ff9b::/96', 'IPv4-IPv6 Translat.', 'RFC 6052', true],
  ['64:ff9b:1::/48', 'IPv4-IPv6 Translat.', 'RFC 8215', false],
  ['100::/64', 'Discard-Only Address Block', 'RFC 6666', false],
  ['100:0:0:1::/64', 'Dummy IPv6 Prefix', 'RFC 9780', false],
  ['2001::/23', 'IETF Protocol Assignments', 'RFC 2928', false],
  ['2001::/32', 'TEREDO', 'RFC 4380, RFC 8190', 'N/A'],
  ['2001:1::1/128', 'Port Control Protocol Anycast', 'RFC 7723', true],
  ['2001:1::2/128', 'Traversal Using Relays around NAT Anycast', 'RFC 8155', true],
  ['2001:1::3/128', 'DNS-SD Service Registration Protocol Anycast', 'RFC 9665', true],
  ['2001:2::/48', 'Benchmarking', 'RFC 5180', false],
  ['2001:3::/32', 'AMT', 'RFC 7450', true],
  ['2001:4:112::/48', 'AS112-v6', 'RFC 7535', true],
  ['2001:10::/28', 'Deprecated (previously ORCHID)', 'RFC 4843', false],
  ['2001:20::/28', 'ORCHIDv2', 'RFC 7343', true],
  ['2001:30::/28', 'Drone Remote ID Protocol Entity Tags (DETs) Prefix', 'RFC 9374', true],
  ['2001:db8::/32', 'Documentation', 'RFC 3849', false],
  ['2002::/16', '6to4', 'RFC 3056', 'N/A'],
  ['2620:4f:8000::/48', 'Direct Delegation AS112 Service', 'RFC 7534', true],
  ['3fff::/20', 'Documentation', 'RFC 9637', false],
  ['5f00::/16', 'Segment Routing (SRv6) SIDs', 'RFC 9602', false],
  ['fc00::/7', 'Unique-Local', 'RFC 4193, RFC 8190', false],
  ['fe80::/10', 'Link-Local Unicast', 'RFC 4291', false],
  // Not in the special-purpose registry, refused all the same.
  ['ff00::/8', 'Multicast (IPv6 address space registry)', 'RFC 4291', false],
  ['fec0::/10', 'Site-local, deprecated (IPv6 address space registry)', 'RFC 3879', false],
  ['::/96', 'IPv4-compatible, deprecated', 'RFC 4291', false],
  ['::ffff:0:0:0/96', 'IPv4-translated (SIIT)', 'RFC 6145', false],
];

/** The first and last address of a CIDR block. */
function ends(cidr: string): [string, string] {
  const [network = '', prefixText = ''] = cidr.split('/');
  const prefix = Number(prefixText);
  if (isIP(network) === 4) {
    const value = network.split('.').reduce((sum, octet) => sum * 256n + BigInt(octet), 0n);
    const size = 1n << BigInt(32 - prefix);
    const text = (n: bigint) => [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 255n)).join('.');
    return [text(value), text(value + size - 1n)];
  }
  const url = new URL(`http://[${network}]/`).hostname.slice(1, -1);
  const [left = '', right = ''] = url.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const all = [...groups(left), ...new Array<string>(8 - groups(left).length - groups(right).length).fill('0'), ...groups(right)];
  const value = all.reduce((sum, group) => (sum << 16n) + BigInt(parseInt(group, 16)), 0n);
  const size = 1n << BigInt(128 - prefix);
  const text = (n: bigint) => Array.from({ length: 8 }, (_, i) => ((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(':');
  return [text(value), text(value + size - 1n)];
}


describe('webhook target guard', () => {
  for (const [cidr, name, rfc, global] of [...ipv4Registry, ...ipv6Registry]) {
    it(`refuses ${cidr} (${name}, ${rfc}, globally reachable: ${String(global)}) from its first to its last address`, () => {
      for (const address of ends(cidr)) {
        const reason = forbiddenAddressReason(address);
        assert.ok(reason, `${address} in ${cidr}`);
        assert.match(reason, /which webhooks may (not|never) target|webhooks may not target it/, reason);
      }
    });
  }

  it('names the rule, the narrowest range that holds the address', () => {
    assert.equal(forbiddenAddressReason('169.254.10.1'), '169.254.10.1 is in 169.254.0.0/16 (link-local, RFC 3927), which webhooks may not target');
    assert.match(forbiddenAddressReason('192.0.0.9') ?? '', /192\.0\.0\.9\/32 \(Port Control Protocol anycast/);
    assert.match(forbiddenAddressReason('2001:1::2') ?? '', /2001:1::2\/128 \(TURN anycast/);
    assert.match(forbiddenAddressReason('::ffff:0:7f00:1') ?? '', /::ffff:0:0:0\/96 \(IPv4-translated/);
    assert.match(forbiddenAddressReason('64:ff9b:1::7f00:1') ?? '', /64:ff9b:1::\/48/);
    assert.match(forbiddenAddressReason('64:ff9b::a00:1') ?? '', /carries 10\.0\.0\.1, which is in 10\.0\.0\.0\/8/);
    assert.match(forbiddenAddressReason('4000::1') ?? '', /4000::\/3 \(reserved by IETF/);
  });

  it('allows public addresses next to the refused ranges, and NAT64 of a public IPv4 address', () => {
    const neighbours = [
      '1.0.0.0', '9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0',
      '172.15.255.255', '172.32.0.0', '191.255.255.255', '192.0.1.0', '192.0.3.0', '192.31.195.255', '192.31.197.0', '192.52.192.255', '192.52.194.0',
      '192.88.98.255', '192.88.100.0', '192.167.255.255', '192.169.0.0', '192.175.47.255', '192.175.49.0', '198.17.255.255', '198.20.0.0',
      '198.51.99.255', '198.51.101.0', '203.0.112.255', '203.0.114.0', '223.255.255.255', '168.63.129.15', '168.63.129.17',
      '2001:200::1', '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db9::', '2003::', '2620:4f:7fff:ffff:ffff:ffff:ffff:ffff', '2620:4f:8001::',
      '3ffe:ffff::1', '3fff:1000::', '2a00:1450:4001::1', '2606:4700:4700::1111', '64:ff9b::8.8.8.8', '64:ff9b::5db8:d822',
    ];
    for (const address of neighbours) assert.equal(forbiddenAddressReason(address), undefined, address);
  });

  it('refuses the IPv6 translation forms of the issue, with private targets off', async () => {
    for (const url of ['https://[::ffff:0:127.0.0.1]:8443/hook', 'https://[64:ff9b:1::7f00:1]:8443/hook', 'https://[::ffff:0:a9fe:a9fe]/hook', 'https://[64:ff9b:1::a9fe:a9fe]/hook']) {
      const verdict = await checkWebhookTarget(url, { allowPrivateTargets: false });
      assert.equal(verdict.ok, false, url);
      assert.ok(literalTargetRefusal(url, { allowPrivateTargets: false }), url);
    }
  });

  it('refuses the metadata service and Azure\'s platform address in every spelling, even with private targets allowed', async () => {
    const metadata = [
      '169.254.169.254', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::ffff:0:a9fe:a9fe', '::a9fe:a9fe', '64:ff9b::a9fe:a9fe', '64:ff9b:1::a9fe:a9fe',
      // 64:ff9b:1::/48 with the IPv4 address after a /48 prefix (RFC 6052: bits 64-71 zero).
      '64:ff9b:1:a9fe:a9:fe00::', '2002:a9fe:a9fe::1', '2001:0:a9fe:a9fe::1', '2001:0:4136:e378:8000:63bf:5601:5601', 'fd00:ec2::254', 'FD00:EC2:0::254',
      '168.63.129.16', '::ffff:a83f:8110',
    ];
    for (const address of metadata) {
      const url = `http://${isIP(address) === 6 ? `[${address}]` : address}/hook`;
      const verdict = await checkWebhookTarget(url, { allowPrivateTargets: true });
      assert.ok(!verdict.ok && /may never target/.test(verdict.reason), `${address}: ${JSON.stringify(verdict)}`);
      assert.match(literalTargetRefusal(url, { allowPrivateTargets: true }) ?? '', /may never target/, address);
      const named = await checkWebhookTarget('https://metadata.example/', { allowPrivateTargets: true, resolve: () => Promise.resolve([{ address, family: isIP(address) }]) });
      assert.equal(named.ok, false, `a name resolving to ${address}`);
    }
    assert.equal(literalTargetRefusal('http://169.254.169.253/hook', { allowPrivateTargets: true }), undefined, 'the rest of link-local is a local receiver');
  });

  it('refuses plain http at submit unless private targets are allowed (local development)', () => {
    assert.match(literalTargetRefusal('http://lms.example/hooks', { allowPrivateTargets: false }) ?? '', /https only/);
    assert.equal(literalTargetRefusal('http://127.0.0.1:8099/hooks', { allowPrivateTargets: true }), undefined);
  });

  it('checks only IP literals at submit: a name is resolved when delivering', () => {
    assert.equal(literalTargetRefusal('https://lms.example/hooks', { allowPrivateTargets: false }), undefined);
    assert.equal(literalTargetRefusal('https://localhost/hooks', { allowPrivateTargets: false }), undefined);
    assert.match(literalTargetRefusal('https://0x7f.1/hooks', { allowPrivateTargets: false }) ?? '', /127\.0\.0\.1 is in 127\.0\.0\.0\/8 \(loopback/);
    assert.equal(literalTargetRefusal('https://[2606:4700:4700::1111]/hooks', { allowPrivateTargets: false }), undefined);
  });

  const forbidden = [
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '168.63.129.16', '192.0.2.10', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', 'fd00:ec2::254', '2001:db8::1',
    '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::10.0.0.1', '::127.0.0.1',
    // IPv4-mapped is refused whole, a public IPv4 address too: a name never resolves to one, and a URL can name the IPv4 address.
    '::ffff:8.8.8.8',
  ];
  for (const address of forbidden) {
    it(`refuses ${address}`, () => assert.ok(forbiddenAddressReason(address)));
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111']) {
    it(`allows the public address ${address}`, () => assert.equal(forbiddenAddressReason(address), undefined));
  }

  const publicResolver = () => Promise.resolve([{ address: '93.184.216.34', family: 4 }]);
  it('allows an https name that resolves to public addresses only, pinned to the address checked', async () => {
    const verdict = await checkWebhookTarget('https://lms.example/hooks', { allowPrivateTargets: false, resolve: publicResolver });
    assert.ok(verdict.ok && verdict.target.address === '93.184.216.34');
  });
  it('refuses http outside local development', async () => {
    const verdict = await checkWebhookTarget('http://lms.example/hooks', { allowPrivateTargets: false, resolve: publicResolver });
    assert.deepEqual(verdict, { ok: false, reason: 'webhooks are sent over https only', transient: false });
  });
  it('refuses a name when any of its addresses is private (the resolved address, not the name)', async () => {
    const verdict = await checkWebhookTarget('https://rebind.example/', {
      allowPrivateTargets: false,
      resolve: () => Promise.resolve([{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }]),
    });
    assert.equal(verdict.ok, false);
  });
  it('refuses literal private addresses, also in odd spellings the URL parser normalises', async () => {
    for (const url of ['https://127.0.0.1/', 'https://[::1]/', 'https://0x7f.1/', 'https://2130706433/', 'https://[::ffff:169.254.169.254]/']) {
      const verdict = await checkWebhookTarget(url, { allowPrivateTargets: false });
      assert.equal(verdict.ok, false, url);
    }
  });
  it('refuses credentials in the URL and a name that does not resolve (that one may be retried)', async () => {
    assert.equal((await checkWebhookTarget('https://u:p@lms.example/', { allowPrivateTargets: false, resolve: publicResolver })).ok, false);
    const verdict = await checkWebhookTarget('https://nowhere.invalid/', { allowPrivateTargets: false, resolve: () => Promise.reject(new Error('ENOTFOUND')) });
    assert.ok(!verdict.ok && verdict.transient);
  });
  it('allows loopback and http in local development', async () => {
    const verdict = await checkWebhookTarget('http://127.0.0.1:8080/hooks', { allowPrivateTargets: true });
    assert.ok(verdict.ok);
  });
});
