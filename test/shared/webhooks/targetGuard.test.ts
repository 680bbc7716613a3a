import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWebhookTarget, forbiddenAddressReason } from '../../../shared/webhooks/targetGuard';

describe('webhook target guard', () => {
  const forbidden = [
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '168.63.129.16', '192.0.2.10', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', 'fd00:ec2::254', '2001:db8::1',
    '::ffff:127.0.0.1', '::ffff:169.254.169.254', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::10.0.0.1', '::127.0.0.1',
  ];
  for (const address of forbidden) {
    it(`refuses ${address}`, () => assert.ok(forbiddenAddressReason(address)));
  }
  for (const address of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
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
