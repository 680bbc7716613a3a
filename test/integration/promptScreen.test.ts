import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, tenantA, tenantB, tenantsSetting, type Stack } from '../../local/harness/stack';

/**
 * The prompt screen through the API: a school's own terms (TENANTS safety.terms) change its screen only,
 * and a refusal names the list's terms, never the prompt's other words.
 */
describe('prompt screen per school', () => {
  let stack: Stack;
  before(async () => {
    // school-b is a history class: swords are fine there (sent on as a context term), clowns are not.
    const tenants = (JSON.parse(tenantsSetting()) as Array<Record<string, unknown>>).map((tenant) =>
      tenant['id'] === tenantB.id ? { ...tenant, safety: { terms: { remove: ['sword'], add: ['? sword', 'clown'] } } } : tenant,
    );
    stack = await startStack({ env: { TENANTS: JSON.stringify(tenants) } });
  });
  after(async () => {
    await stack?.stop();
  });

  const asB = { 'api-key': tenantB.key };

  it("applies a school's removals and additions to that school only", async () => {
    const refusedForA = await stack.submit({ prompt: 'a knight with two swords in Camelot' });
    assert.equal(refusedForA.status, 400);
    assert.equal(refusedForA.body.error?.code, 'PromptBlocked');
    assert.match(refusedForA.body.error?.message ?? '', /\(sword\)/);
    assert.doesNotMatch(refusedForA.body.error?.message ?? '', /Camelot|knight|swords/, 'the prompt is not echoed');
    assert.equal((await stack.submit({ prompt: 'a knight with two swords in Camelot' }, asB)).status, 202);

    assert.equal((await stack.submit({ prompt: 'a scary clown' })).status, 202);
    assert.equal((await stack.submit({ prompt: 'a scary clown' }, asB)).status, 400);
  });

  it('lets innocent phrases through and refuses disguised words for every school', async () => {
    for (const prompt of ['a blood orange on a kitchen table', 'The Sword in the Stone', 'een geweldig feest met een zwaardvis']) {
      assert.equal((await stack.submit({ prompt })).status, 202, prompt);
    }
    for (const prompt of ['a nɑked woman', 'een zwaardgevecht', 'bløød everywhere']) {
      assert.equal((await stack.submit({ prompt })).status, 400, prompt);
      assert.equal((await stack.submit({ prompt }, asB)).status, 400, prompt);
    }
  });

  it('refuses a picture that makes fun of a real person as Bullying, records it for the teachers, and lets a kind one through', async () => {
    const refused = await stack.submit({ prompt: 'Daan uit groep 7 met een varkensneus', user: 'student-bully' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error?.code, 'PromptBlocked');
    assert.deepEqual(refused.body.error?.innererror, { code: 'Bullying' });
    assert.match(refused.body.error?.message ?? '', /make fun of real people can hurt them/);
    assert.doesNotMatch(refused.body.error?.message ?? '', /Daan|varkensneus/, 'the prompt is not echoed');
    const listed = await fetch(`${stack.url}/api/safety-events?user=student-bully`, { headers: { 'api-key': tenantA.key } });
    const events = ((await listed.json()) as { value: Array<{ layer: string; categories: string[] }> }).value;
    assert.deepEqual(events.map((event) => [event.layer, event.categories]), [['screen', ['bullying']]]);

    assert.equal((await stack.submit({ prompt: 'Daan uit groep 7 als astronaut op de maan' })).status, 202);
    assert.equal((await stack.submit({ prompt: 'family dinner with knife and fork' })).status, 202);
  });
});
