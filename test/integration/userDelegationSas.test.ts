import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startAzurite, type Azurite } from '../../local/azurite/azurite';

const run = promisify(execFile);

/**
 * Under a managed identity there is no account key: links are user-delegation SAS. Azurite checks that
 * path only over HTTPS with OAuth, so this test makes a throw-away certificate and runs the signer in a
 * child process that trusts it.
 */
/** openssl makes the certificate (.ci/run installs it); without it the test is skipped, saying why, as the browser tests are. */
const openssl = spawnSync('openssl', ['version']);
const noOpenssl = openssl.error || openssl.status !== 0 ? 'no openssl on PATH (apt-get install openssl): it makes the HTTPS certificate this test needs' : false;

describe('user-delegation SAS links (identity-based storage)', { skip: noOpenssl }, () => {
  let dir: string;
  let azurite: Azurite;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'udsas-'));
    const certPath = path.join(dir, 'cert.pem');
    const keyPath = path.join(dir, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath]);
    const systemBundle = process.env['NODE_EXTRA_CA_CERTS'];
    writeFileSync(path.join(dir, 'ca.pem'), [systemBundle ? readFileSync(systemBundle, 'utf8') : '', readFileSync(certPath, 'utf8')].join('\n'));
    azurite = await startAzurite({ quiet: true, oauth: { certPath, keyPath } });
  });
  after(async () => {
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads its own blob only, HTTPS only, and refuses edits and expiry', async () => {
    assert.match(azurite.blobUrl, /^https:/);
    const { stdout } = await run(process.execPath, [path.join(__dirname, '..', 'helpers', 'userDelegationProbe.js'), `${azurite.blobUrl}/devstoreaccount1`], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') },
    });
    assert.deepEqual(JSON.parse(stdout), {
      protocol: 'https:',
      signedProtocol: 'https',
      userDelegation: true,
      read: 200,
      body: 'picture a',
      otherBlob: 403,
      write: 403,
      editedPermissions: 403,
      expired: 403,
    });
  });
});
