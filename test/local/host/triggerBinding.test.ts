import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegisteredFunction } from '../../../local/host/functionsCore';
import { resolveBindingExpressions, triggerBindingOf } from '../../../local/host/triggerBinding';

function functionWith(bindings: RegisteredFunction['metadata']['bindings']): RegisteredFunction {
  return { metadata: { name: 'sweepJobs', bindings }, callback: () => undefined };
}

describe('local host trigger bindings', () => {
  it('finds the trigger among the bindings', () => {
    const fn = functionWith({
      $return: { type: 'http', direction: 'out' },
      request: { type: 'httpTrigger', direction: 'in', route: 'jobs/{id}' },
    });
    const trigger = triggerBindingOf(fn, {});
    assert.equal(trigger.name, 'request');
    assert.equal(trigger.binding['route'], 'jobs/{id}');
    assert.throws(() => triggerBindingOf(functionWith({ $return: { type: 'http', direction: 'out' } }), {}), /sweepJobs has no trigger binding/);
  });

  it('resolves %NAME% app settings in the trigger, as Azure resolves binding expressions', () => {
    const fn = functionWith({ timer: { type: 'timerTrigger', direction: 'in', schedule: '%SWEEP_SCHEDULE%', runOnStartup: false } });
    const trigger = triggerBindingOf(fn, { SWEEP_SCHEDULE: '0 */1 * * * *' });
    assert.equal(trigger.binding['schedule'], '0 */1 * * * *');
    assert.equal(trigger.binding['runOnStartup'], false, 'other properties are kept as they are');
    assert.equal(trigger.binding.type, 'timerTrigger');

    const queue = resolveBindingExpressions(
      { type: 'queueTrigger', queueName: '%QUEUE_PREFIX%-jobs-%STAGE%', connection: 'AzureWebJobsStorage' },
      { QUEUE_PREFIX: 'school', STAGE: 'test' },
      'processJob',
    );
    assert.equal(queue['queueName'], 'school-jobs-test');
    assert.equal(queue['connection'], 'AzureWebJobsStorage');
  });

  it('fails with a message naming the missing setting', () => {
    const fn = functionWith({ timer: { type: 'timerTrigger', direction: 'in', schedule: '%SWEEP_SCHEDULE%' } });
    assert.throws(
      () => triggerBindingOf(fn, {}),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^Function sweepJobs \(timerTrigger\): /);
        assert.match(error.message, /schedule "%SWEEP_SCHEDULE%" names the app setting SWEEP_SCHEDULE, which is not set/);
        assert.match(error.message, /Set SWEEP_SCHEDULE in local\.settings\.json/);
        return true;
      },
    );
    assert.throws(() => triggerBindingOf(fn, { SWEEP_SCHEDULE: '' }), /SWEEP_SCHEDULE, which is empty/);
  });

  it('leaves strings without an expression alone', () => {
    const binding = { type: 'httpTrigger', route: 'usage/100%', authLevel: 'anonymous' };
    assert.deepEqual(resolveBindingExpressions(binding, {}, 'getUsage'), binding);
  });
});
