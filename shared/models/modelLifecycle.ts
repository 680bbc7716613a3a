import type { Cloud, ModelEntry } from './modelCatalogue';

/**
 * Whether the configured model still exists in the configured cloud, from the catalogue's lifecycle
 * dates. A retired model stops start-up and makes health fail (every job would fail at the provider);
 * within `warnWithinDays` of its date, start-up and health warn, naming the replacement.
 */

export const warnWithinDays = 60;

export type LifecycleVerdict =
  | { readonly state: 'ok' }
  | { readonly state: 'retiring'; readonly retires: string; readonly daysLeft: number; readonly message: string }
  | { readonly state: 'retired'; readonly retires: string | null; readonly message: string };

const cloudNames: Readonly<Record<Cloud, string>> = { 'azure-openai': 'Azure OpenAI', openai: 'OpenAI' };
const dayInMs = 24 * 60 * 60_000;

export function lifecycleVerdict(model: ModelEntry, cloud: Cloud, now: Date): LifecycleVerdict {
  const lifecycle = model.lifecycle[cloud];
  const replacement = model.replacement ? ` Move to ${model.replacement}: set IMAGE_MODEL (and deploy it; see docs/models.md).` : '';
  const retiresAt = lifecycle.retires ? Date.parse(`${lifecycle.retires}T00:00:00Z`) : undefined;
  if (lifecycle.status === 'retired' || (retiresAt !== undefined && now.getTime() >= retiresAt)) {
    return {
      state: 'retired',
      retires: lifecycle.retires,
      message: `IMAGE_MODEL ${model.name} is retired in ${cloudNames[cloud]}${lifecycle.retires ? ` since ${lifecycle.retires}` : ''} (${lifecycle.source}).${replacement}`,
    };
  }
  if (retiresAt !== undefined && lifecycle.retires) {
    const daysLeft = Math.ceil((retiresAt - now.getTime()) / dayInMs);
    if (daysLeft <= warnWithinDays) {
      return {
        state: 'retiring',
        retires: lifecycle.retires,
        daysLeft,
        message: `IMAGE_MODEL ${model.name} retires in ${cloudNames[cloud]} on ${lifecycle.retires}, in ${daysLeft} days (${lifecycle.source}).${replacement}`,
      };
    }
  }
  return { state: 'ok' };
}
