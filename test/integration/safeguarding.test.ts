import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startStack, tenantA, tenantB, type JsonObject, type Stack } from '../../local/harness/stack';
import { startReceiver, tenantsWithWebhookAt, type Receiver } from '../helpers/webhookReceiver';

/**
 * Safeguarding through the local host: a prompt with a self-harm signal is refused with innererror
 * SelfHarmSignal and the help lines; its safety event is urgent in the first person and listed by
 * ?urgent=true; the school's receiver (an http server here, verifying every signature) gets safety.urgent
 * before any other delivery of the event, even when the urgent one must be retried.
 */

interface SafetyEventItem {
  id: string;
  layer: string;
  categories: string[];
  prompt: string;
  user?: string;
  urgent: boolean;
}

interface Delivery {
  readonly id: string;
  readonly type: string;
  readonly data: SafetyEventItem;
}

describe('safeguarding', () => {
  let stack: Stack;
  let receiver: Receiver<SafetyEventItem>;
  /** Every delivery the receiver took, in order of arrival, each verified with school A's secret. */
  const received: Delivery[] = [];
  /** Students whose first safety.urgent the receiver answers with 503 (a receiver that hiccups). */
  const failFirstUrgentOf = new Set<string>();

  before(async () => {
    receiver = await startReceiver<SafetyEventItem>((_n, res, { headers, event }) => {
      received.push({ id: headers['webhook-id'] ?? '', type: event.type, data: event.data });
      if (event.type === 'safety.urgent' && failFirstUrgentOf.delete(event.data.user ?? '')) res.writeHead(503).end();
      else res.writeHead(204).end();
    });
    stack = await startStack({ env: { TENANTS: tenantsWithWebhookAt(receiver.url) } });
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  async function events(query: string, key = tenantA.key): Promise<{ status: number; body: JsonObject & { value?: SafetyEventItem[] } }> {
    const response = await fetch(`${stack.url}/api/safety-events${query}`, { headers: { 'api-key': key } });
    return { status: response.status, body: (await response.json()) as JsonObject & { value?: SafetyEventItem[] } };
  }

  /** Waits until the receiver holds a delivery matching `found` (the host delivers from its queue). */
  async function delivery(found: (item: Delivery) => boolean): Promise<Delivery> {
    for (let i = 0; i < 300; i++) {
      const item = received.find(found);
      if (item) return item;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no such delivery; received: ${received.map((item) => `${item.type} ${item.id}`).join(', ')}`);
  }

  async function eventOf(user: string): Promise<SafetyEventItem> {
    const [event] = (await events(`?user=${user}`)).body.value ?? [];
    assert.ok(event, `no safety event for ${user}`);
    return event;
  }

  it('refuses a self-harm signal with 400 PromptBlocked, innererror SelfHarmSignal and a caring message with the help lines', async () => {
    const before = stack.imageService.calls().length;
    const response = await stack.submit({ prompt: 'Me with cuts on my wrists', user: 'student-s1', metadata: { classId: '8A' } });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    const error = response.body.error as { code?: string; message?: string; target?: string; innererror?: { code?: string } };
    assert.deepEqual([error.code, error.target, error.innererror?.code], ['PromptBlocked', 'prompt', 'SelfHarmSignal']);
    const message = String(error.message);
    for (const line of [/not in trouble/, /De Kindertelefoon .*0800-0432.*kindertelefoon\.nl/, /113 Zelfmoordpreventie .*113 or 0800-0113.*113\.nl/]) assert.match(message, line);
    assert.doesNotMatch(message, /not allowed|wrists/i, 'no rule, and the prompt is not echoed');
    assert.equal(stack.imageService.calls().length, before, 'nothing drawn');
    // Sent in the submit itself: at the receiver before the child had the answer.
    assert.deepEqual(received.filter((item) => item.data.user === 'student-s1').map((item) => item.type), ['safety.urgent']);
    const jobs = (await (await fetch(`${stack.url}/api/jobs?classId=8A`, { headers: { 'api-key': tenantA.key } })).json()) as { value: unknown[] };
    assert.deepEqual(jobs.value, [], 'nothing stored');
  });

  it('records the event as urgent, and ?urgent=true lists it; a signal in the third person is listed, not urgent', async () => {
    const third = await stack.submit({ prompt: 'a girl with cuts on her wrists', user: 'student-s2', metadata: { classId: '8A' } });
    assert.equal((third.body.error as { innererror?: { code?: string } }).innererror?.code, 'SelfHarmSignal');
    const urgent = await eventOf('student-s1');
    assert.deepEqual([urgent.layer, urgent.categories, urgent.urgent, urgent.prompt], ['safeguarding', ['selfHarm'], true, 'Me with cuts on my wrists']);
    const notUrgent = await eventOf('student-s2');
    assert.deepEqual([notUrgent.layer, notUrgent.urgent], ['safeguarding', false]);
    const listed = (await events('?urgent=true&classId=8A')).body.value ?? [];
    assert.deepEqual(listed.map((event) => event.id), [urgent.id]);
    const refused = await events('?urgent=false');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error?.target, 'urgent');
    assert.deepEqual((await events('?urgent=true', tenantB.key)).body.value, [], 'another school sees nothing');
  });

  it('sends safety.urgent, signed, before the answer, and the event\'s safety.refused only after it', async () => {
    const urgent = await eventOf('student-s1');
    const refused = await delivery((item) => item.type === 'safety.refused' && item.data.id === urgent.id);
    const first = received.findIndex((item) => item.data.id === urgent.id);
    assert.deepEqual(received[first], { id: `msg_${urgent.id.replaceAll('-', '')}_safety_urgent`, type: 'safety.urgent', data: urgent });
    assert.ok(received.indexOf(refused) > first, 'the refused one came after the urgent one');
    assert.equal(refused.id, `msg_${urgent.id.replaceAll('-', '')}_safety_refused`);
    // The third-person signal: only safety.refused.
    const notUrgent = await eventOf('student-s2');
    await delivery((item) => item.type === 'safety.refused' && item.data.id === notUrgent.id);
    assert.equal(received.filter((item) => item.data.id === notUrgent.id && item.type === 'safety.urgent').length, 0);
  });

  it('treats a classifier selfHarm verdict as a signal, urgent in the first person', async () => {
    // The Content Safety stand-in gives SelfHarm severity 2 for "skip every meal", at the default threshold; the lexicon has no such entry.
    const response = await stack.submit({ prompt: 'I skip every meal', user: 'student-s3', metadata: { classId: '8B' } });
    assert.equal(response.status, 400);
    assert.equal((response.body.error as { innererror?: { code?: string } }).innererror?.code, 'SelfHarmSignal');
    const event = await eventOf('student-s3');
    assert.deepEqual([event.layer, event.categories, event.urgent], ['classifier', ['selfHarm'], true]);
    await delivery((item) => item.type === 'safety.urgent' && item.data.id === event.id);
  });

  it('keeps the order when the receiver fails the urgent one: retried with the same id, and the refused one waits for it', async () => {
    failFirstUrgentOf.add('student-s4');
    const response = await stack.submit({ prompt: 'ik wil niet meer leven', user: 'student-s4', metadata: { classId: '8C' } });
    assert.equal(response.status, 400, 'the child\'s answer does not wait for the retry');
    const event = await eventOf('student-s4');
    assert.equal(event.urgent, true);
    await delivery((item) => item.type === 'safety.refused' && item.data.id === event.id);
    const ofEvent = received.filter((item) => item.data.id === event.id);
    assert.deepEqual(
      ofEvent.map((item) => item.type),
      ['safety.urgent', 'safety.urgent', 'safety.refused'],
      'the failed urgent attempt, its retry, then the refused one',
    );
    assert.equal(ofEvent[0]?.id, ofEvent[1]?.id, 'the retry carries the same webhook-id');
  });
});
