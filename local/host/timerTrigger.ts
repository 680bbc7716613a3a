import type { RegisteredFunction } from './functionsCore';
import type { Invoke } from './invoke';
import { describeError, writeLog } from './log';
import { nextOccurrence, parseNcrontab } from './ncrontab';
import { stringProperty, type TriggerBinding } from './triggerBinding';

/**
 * Timer triggers: the next run is armed for the schedule's next occurrence (NCRONTAB, UTC) only when the
 * previous run has ended, so runs of one function never overlap.
 */

export interface TimerTrigger {
  stop(): void;
}

/** Parses the schedule at once (a bad schedule fails start-up) and arms the first run. */
export function startTimerTrigger(fn: RegisteredFunction, trigger: TriggerBinding, invoke: Invoke): TimerTrigger {
  const schedule = parseNcrontab(stringProperty(trigger.binding, 'schedule') ?? '');
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (stopping) return;
    timer = setTimeout(() => {
      timer = undefined;
      const input = { Schedule: { AdjustForDST: true }, ScheduleStatus: null, IsPastDue: false };
      invoke(fn, { inputData: [{ name: trigger.name, data: { json: JSON.stringify(input) } }], triggerMetadata: {} })
        .catch((error: unknown) => writeLog(fn.metadata.name, 'error', `Timer run failed: ${describeError(error)}`))
        .finally(arm);
    }, nextOccurrence(schedule, new Date()).getTime() - Date.now());
  };
  arm();
  return {
    stop() {
      stopping = true;
      clearTimeout(timer);
    },
  };
}
