import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashApiKey, parseTenants } from '../../../shared/config/tenants';
import { loadDefaultTerms } from '../../../shared/safety/promptScreen';
import { createTenantScreens } from '../../../shared/safety/tenantScreens';

describe('per-school prompt screens', () => {
  const tenants = parseTenants(
    JSON.stringify([
      { id: 'plain', apiKeyHashes: [hashApiKey('a')] },
      { id: 'history', apiKeyHashes: [hashApiKey('b')], safety: { terms: { remove: ['sword', 'zwaard'], add: ['? sword'] } } },
      { id: 'strict', apiKeyHashes: [hashApiKey('c')], safety: { terms: { add: ['clown', '= clown fish', 'scary mask'] } } },
    ]),
  );
  const screens = createTenantScreens(loadDefaultTerms(), tenants);
  const [plain, history, strict] = tenants.map((tenant) => screens.forTenant(tenant));

  it('gives a school without its own terms the default screen', () => {
    assert.equal(plain, screens.standard);
    assert.equal(plain?.screen('a knight with a sword').blocked, true);
  });

  it('lets a school remove a term, with its inflections and compounds', () => {
    for (const prompt of ['a knight with a sword', 'two knights with swords', 'a swordfight on a castle wall', 'ridders met zwaarden', 'een zwaardgevecht']) {
      assert.equal(history?.screen(prompt).blocked, false, prompt);
    }
    // Added back as a context term: not refused, but the classifier sees the prompt.
    assert.deepEqual(history?.screen('a knight with a sword'), { blocked: false, matchedTerms: ['sword'], contextTerms: ['sword'] });
    assert.equal(history?.screen('a knight covered in blood').blocked, true, 'other terms stay');
    assert.equal(plain?.screen('two knights with swords').blocked, true, 'other schools keep the term');
  });

  it('lets a school add refused terms, phrases and exceptions', () => {
    assert.equal(strict?.screen('a scary clown').blocked, true);
    assert.equal(strict?.screen('three clowns').blocked, true);
    assert.equal(strict?.screen('a boy in a scary masks shop').blocked, true);
    assert.deepEqual(strict?.screen('a clown fish in a reef'), { blocked: false, matchedTerms: [] });
    assert.equal(plain?.screen('a scary clown').blocked, false);
  });

  it('refuses a removal that matches nothing, naming the school', () => {
    const typo = parseTenants(JSON.stringify([{ id: 'typo', apiKeyHashes: [hashApiKey('d')], safety: { terms: { remove: ['swrod'] } } }]));
    assert.throws(() => createTenantScreens(loadDefaultTerms(), typo), /TENANTS\[typo\]\.safety\.terms\.remove: "swrod" is not in the disallow list/);
  });

  it('checks the safety settings in TENANTS', () => {
    const tenant = (safety: unknown) => JSON.stringify([{ id: 'x', apiKeyHashes: [hashApiKey('e')], safety }]);
    assert.throws(() => parseTenants(tenant({ terms: { add: ['  '] } })), /TENANTS\[0\.safety\.terms\.add\.0\]: a term needs a letter or digit/);
    assert.throws(() => parseTenants(tenant({ terms: { allow: ['sword'] } })), /TENANTS\[0\.safety\.terms\]/);
    assert.throws(() => parseTenants(tenant({ terms: { add: ['x'.repeat(101)] } })), /at most 100 characters/);
    // A school that only tunes its terms keeps the classifier's school-strict defaults beside them.
    assert.deepEqual(parseTenants(tenant({ terms: { remove: ['sword'] } }))[0]?.safety, {
      terms: { remove: ['sword'] },
      thresholds: { hate: 2, sexual: 2, violence: 2, selfHarm: 2 },
      promptShield: true,
    });
  });
});
