import type { RegisteredFunction, RpcBindingInfo } from './functionsCore';

/**
 * A function's trigger: the one binding whose type ends in "Trigger" (httpTrigger, queueTrigger,
 * timerTrigger, …), and its name, under which an invocation request carries the trigger's input.
 */
export interface TriggerBinding {
  readonly name: string;
  readonly binding: RpcBindingInfo;
}

/** `%NAME%` anywhere in a string: an app setting's name, as Azure's binding expressions write it. */
const appSettingExpression = /%([^%\s]+)%/g;

/**
 * Replaces each `%NAME%` in the binding's string properties with the app setting NAME from env, as the Azure
 * host does for `schedule: '%SWEEP_SCHEDULE%'` or `queueName: '%JOB_QUEUE%'`. A setting that is missing or
 * empty is an error naming the setting, so the host fails at start-up rather than run on a wrong value.
 */
export function resolveBindingExpressions(binding: RpcBindingInfo, env: Record<string, string | undefined>, where: string): RpcBindingInfo {
  const problems: string[] = [];
  const missing = new Set<string>();
  const resolved: Record<string, string> = {};
  for (const [property, value] of Object.entries(binding)) {
    if (typeof value !== 'string') continue;
    resolved[property] = value.replace(appSettingExpression, (expression, name: string) => {
      const setting = env[name];
      if (setting !== undefined && setting !== '') return setting;
      problems.push(`its ${property} "${value}" names the app setting ${name}, which is ${setting === undefined ? 'not set' : 'empty'}`);
      missing.add(name);
      return expression;
    });
  }
  if (problems.length > 0) {
    throw new Error(`${where}: ${problems.join('; ')}. Set ${[...missing].join(', ')} in local.settings.json (Values) or the environment.`);
  }
  return { ...binding, ...resolved };
}

/** The function's trigger, with its app-setting expressions resolved from env. */
export function triggerBindingOf(fn: RegisteredFunction, env: Record<string, string | undefined>): TriggerBinding {
  const entry = Object.entries(fn.metadata.bindings).find(([, binding]) => /Trigger$/i.test(String(binding.type)));
  if (!entry) throw new Error(`Function ${fn.metadata.name} has no trigger binding.`);
  const [name, binding] = entry;
  return { name, binding: resolveBindingExpressions(binding, env, `Function ${fn.metadata.name} (${String(binding.type)})`) };
}

export function stringProperty(binding: RpcBindingInfo, name: string): string | undefined {
  const value = binding[name];
  return typeof value === 'string' ? value : undefined;
}
