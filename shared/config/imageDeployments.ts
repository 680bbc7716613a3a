import { z } from 'zod';
import { ConfigurationError } from '../errors';

/**
 * IMAGE_DEPLOYMENTS: the deployments of the image model the worker may call, as a JSON list. Azure's quota is
 * per subscription, region and model, so a deployment in a second region adds its quota to the first and
 * keeps pictures coming when one region is down. AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_DEPLOYMENT (with
 * IMAGE_REQUESTS_PER_MINUTE) stay as the short form of a list of one.
 */

export interface ImageDeployment {
  /** Unique in the list: in logs, GET /api/health and the pacer's budget name. */
  readonly name: string;
  readonly endpoint: string;
  readonly deployment: string;
  readonly region?: string;
  readonly requestsPerMinute: number;
  /** 1 is tried first; a higher number only when the lower ones are out or busy. */
  readonly priority: number;
}

/** Azure's public regions (az account list-locations, 2026): a name outside it is warned of, not refused, as new regions come. */
export const azureRegions: ReadonlySet<string> = new Set(
  (
    'australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral brazilsouth brazilsoutheast ' +
    'canadacentral canadaeast centralindia centralus chilecentral eastasia eastus eastus2 francecentral francesouth germanynorth ' +
    'germanywestcentral indonesiacentral israelcentral italynorth japaneast japanwest koreacentral koreasouth malaysiawest ' +
    'mexicocentral newzealandnorth northcentralus northeurope norwayeast norwaywest polandcentral qatarcentral southafricanorth ' +
    'southafricawest southcentralus southindia southeastasia spaincentral swedencentral swedensouth switzerlandnorth ' +
    'switzerlandwest uaecentral uaenorth uksouth ukwest westcentralus westeurope westindia westus westus2 westus3'
  ).split(' '),
);

const entrySchema = z
  .object({
    name: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'name must be 1-63 letters, digits, dots, dashes or underscores').optional(),
    endpoint: z.string().trim().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'endpoint must be an http(s) URL'),
    deployment: z.string().trim().min(1, 'deployment must name the model deployment').max(64),
    region: z.string().trim().toLowerCase().min(1).optional(),
    requestsPerMinute: z.number().int('requestsPerMinute must be a whole number').min(1).max(100_000),
    priority: z.number().int('priority must be a whole number').min(1).max(100).optional(),
    /** The model the deployment serves, when the operator states it: it must be IMAGE_MODEL. */
    model: z.string().trim().optional(),
  })
  .strict();

export interface DeploymentsContext {
  /** IMAGE_MODEL: every deployment serves this one model. */
  readonly model: string;
  /** In Azure (WEBSITE_SITE_NAME set) an endpoint must be https. */
  readonly inAzure: boolean;
}

/** Parses IMAGE_DEPLOYMENTS; throws a ConfigurationError naming the entry, and returns the warnings (unknown regions). */
export function parseImageDeployments(raw: string, context: DeploymentsContext): { deployments: ImageDeployment[]; warnings: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ConfigurationError('IMAGE_DEPLOYMENTS must be a JSON list of deployments, e.g. [{"endpoint":"https://…","deployment":"gpt-image-2","region":"swedencentral","requestsPerMinute":9}].');
  }
  if (!Array.isArray(json) || json.length === 0) throw new ConfigurationError('IMAGE_DEPLOYMENTS must be a non-empty JSON list of deployments.');
  const warnings: string[] = [];
  const deployments = json.map((entry: unknown, index): ImageDeployment => {
    const where = `IMAGE_DEPLOYMENTS[${index}]`;
    const parsed = entrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.');
      throw new ConfigurationError(`${where}${field ? `.${field}` : ''}: ${issue?.message ?? 'is not a deployment'}.`);
    }
    const { endpoint, deployment, region, requestsPerMinute, priority, model } = parsed.data;
    if (model !== undefined && model !== context.model) {
      throw new ConfigurationError(`${where}: deployment ${deployment} serves ${model}, but IMAGE_MODEL is ${context.model}; every deployment in the pool must serve the same model.`);
    }
    if (context.inAzure && new URL(endpoint).protocol !== 'https:') throw new ConfigurationError(`${where}.endpoint must be https in Azure.`);
    if (region !== undefined && !azureRegions.has(region)) warnings.push(`${where}.region ${region} is not an Azure region this version knows; check the name.`);
    return { name: parsed.data.name ?? `${region ?? new URL(endpoint).hostname.split('.')[0]}-${deployment}`, endpoint: endpoint.replace(/\/+$/, ''), deployment, ...(region ? { region } : {}), requestsPerMinute, priority: priority ?? 1 };
  });
  for (const [index, deployment] of deployments.entries()) {
    const earlier = deployments.slice(0, index);
    if (earlier.some((other) => other.endpoint.toLowerCase() === deployment.endpoint.toLowerCase() && other.deployment === deployment.deployment)) {
      throw new ConfigurationError(`IMAGE_DEPLOYMENTS[${index}]: ${deployment.endpoint} ${deployment.deployment} is listed twice.`);
    }
    if (earlier.some((other) => other.name === deployment.name)) throw new ConfigurationError(`IMAGE_DEPLOYMENTS[${index}]: the name ${deployment.name} is used twice; give each a name.`);
  }
  return { deployments, warnings };
}

/**
 * The one deployment of the short form (AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_DEPLOYMENT, or OpenAI), named for
 * its deployment (or model), as its pacing budget always was: instances of an older version pace with it.
 */
export function shortFormDeployment(
  provider: { readonly kind: 'azure-openai'; readonly endpoint: string; readonly deployment: string } | { readonly kind: 'openai'; readonly baseUrl?: string },
  model: string,
  requestsPerMinute: number,
): ImageDeployment {
  return provider.kind === 'azure-openai'
    ? { name: provider.deployment, endpoint: provider.endpoint, deployment: provider.deployment, requestsPerMinute, priority: 1 }
    : { name: model, endpoint: provider.baseUrl ?? 'https://api.openai.com/v1', deployment: model, requestsPerMinute, priority: 1 };
}
