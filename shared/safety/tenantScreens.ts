import { createPromptScreen, type PromptScreen } from './promptScreen';
import { termKey } from './termList';

/**
 * One prompt screen per school: the default list, plus PROMPT_BLOCKED_TERMS_EXTRA, plus the tenant's
 * `safety.terms.add`, minus its `safety.terms.remove` (TENANTS, an app setting: a change needs no deploy).
 * A removed term goes with all it matched (its inflections and compounds), since those come from the entry.
 * Each screen is compiled once, when the services are built, so a submit never pays for it.
 */

export interface TenantTerms {
  /** Lines in the list's format (`clown`, `? sword`, `= sword dance`). */
  readonly add?: readonly string[] | undefined;
  /** Terms of the default list (or of the extra setting) to drop, whatever their kind. */
  readonly remove?: readonly string[] | undefined;
}

export interface TenantWithTerms {
  readonly id: string;
  readonly safety?: { readonly terms?: TenantTerms | undefined } | undefined;
}

export interface TenantScreens {
  /** The screen for tenants without their own terms. */
  readonly standard: PromptScreen;
  forTenant(tenant: TenantWithTerms): PromptScreen;
}

/** The lines a tenant's screen is built from; throws naming a removal that matches nothing. */
export function tenantTermLines(baseLines: readonly string[], tenantId: string, terms: TenantTerms): string[] {
  const removed = new Set((terms.remove ?? []).map(termKey));
  const baseKeys = new Set(baseLines.map(termKey));
  for (const key of removed) {
    if (!baseKeys.has(key)) {
      throw new Error(`TENANTS[${tenantId}].safety.terms.remove: "${key}" is not in the disallow list, so removing it changes nothing (check the spelling)`);
    }
  }
  return [...baseLines.filter((line) => !removed.has(termKey(line))), ...(terms.add ?? [])];
}

export function createTenantScreens(baseLines: readonly string[], tenants: readonly TenantWithTerms[]): TenantScreens {
  const standard = createPromptScreen(baseLines);
  const screens = new Map<string, PromptScreen>();
  function forTenant(tenant: TenantWithTerms): PromptScreen {
    const cached = screens.get(tenant.id);
    if (cached) return cached;
    const terms = tenant.safety?.terms;
    const own = (terms?.add?.length ?? 0) > 0 || (terms?.remove?.length ?? 0) > 0;
    const screen = terms && own ? createPromptScreen(tenantTermLines(baseLines, tenant.id, terms)) : standard;
    screens.set(tenant.id, screen);
    return screen;
  }
  // Compiled now, so a wrong removal stops start-up and no submit pays for compiling.
  for (const tenant of tenants) forTenant(tenant);
  return { standard, forTenant };
}
