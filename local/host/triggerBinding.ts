import type { RegisteredFunction, RpcBindingInfo } from './functionsCore';

/**
 * A function's trigger: the one binding whose type ends in "Trigger" (httpTrigger, queueTrigger,
 * timerTrigger, …), and its name, under which an invocation request carries the trigger's input.
 */
export interface TriggerBinding {
  readonly name: string;
  readonly binding: RpcBindingInfo;
}

export function triggerBindingOf(fn: RegisteredFunction): TriggerBinding {
  const entry = Object.entries(fn.metadata.bindings).find(([, binding]) => /Trigger$/i.test(String(binding.type)));
  if (!entry) throw new Error(`Function ${fn.metadata.name} has no trigger binding.`);
  const [name, binding] = entry;
  return { name, binding };
}

export function stringProperty(binding: RpcBindingInfo, name: string): string | undefined {
  const value = binding[name];
  return typeof value === 'string' ? value : undefined;
}
