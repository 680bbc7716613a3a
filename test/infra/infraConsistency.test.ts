import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { settingNames } from '../../shared/config/settings';
import { defaultModelName, getModel, modelCatalogue } from '../../shared/models/modelCatalogue';
import { lifecycleVerdict } from '../../shared/models/modelLifecycle';
import { storageNames } from '../../shared/storage/storageNames';
import { metricNames } from '../../shared/telemetry/metrics';
import { projectDir } from '../../local/harness/stack';
import { bindingExpressionSettings, documentedSettings, settingsPage } from '../docs/settingsTable';

/**
 * Keeps infra/ and the code honest with each other. The Bicep compiler cannot be installed here, so this
 * reads the Bicep text: every setting the code reads is set by infra/ or documented with a default, every
 * queue and container the code uses is created, and the roles granted are exactly the ones the code needs.
 * (Where it exists, `az bicep build --file infra/main.bicep` is the check of the Bicep itself.)
 */

const infraDir = path.join(projectDir, 'infra');
const read = (file: string) => readFileSync(path.join(projectDir, file), 'utf8');
const bicepFiles = ['infra/main.bicep', ...readdirSync(path.join(infraDir, 'app')).map((f) => `infra/app/${f}`)].filter((f) => f.endsWith('.bicep'));
const bicep = bicepFiles.map(read).join('\n');
const mainBicep = read('infra/main.bicep');
const rbacBicep = read('infra/app/rbac.bicep');

/** Settings with no default that Azure does not need, and why. */
const notSetInAzure: Record<string, string> = {
  AzureWebJobsStorage: 'a connection string; Azure uses the identity-based AzureWebJobsStorage__* settings',
  AzureWebJobsStorage__accountName: 'an alternative to the service URIs, which infra/ sets',
  AZURE_OPENAI_API_KEY: 'keys are not used in Azure: the managed identity is',
  OPENAI_API_KEY: 'only for IMAGE_PROVIDER=openai',
  OPENAI_BASE_URL: 'only for IMAGE_PROVIDER=openai',
  PROMPT_BLOCKED_TERMS_EXTRA: 'optional school-specific additions',
  CONTENT_SAFETY_KEY: 'keys are not used in Azure: the managed identity calls Content Safety (start-up refuses one there)',
  PUBLIC_BASE_URL: 'only behind a proxy that rewrites the host',
  WEBSITE_SITE_NAME: 'set by App Service itself',
  WEBSITE_HOSTNAME: 'set by App Service itself',
  LOCAL_TRACES_FILE: 'local development only: Azure sends spans to Application Insights',
};

function isSetByInfra(name: string): boolean {
  return new RegExp(`^\\s*${name}\\s*:`, 'm').test(bicep);
}

function bicepVarFor(value: string): string {
  const match = new RegExp(`^var (\\w+) = '${value}'$`, 'm').exec(mainBicep);
  assert.ok(match, `infra/main.bicep has no variable for '${value}'`);
  return match[1] ?? '';
}

describe('infra/ and the code agree', () => {
  const documented = documentedSettings();

  it('runs the Function App on Node 22, as package.json requires', () => {
    assert.match(mainBicep, /runtimeName: 'node'\s*\n\s*runtimeVersion: '22'/);
    assert.doesNotMatch(bicep, /runtimeVersion: '20'|Node\|20/);
    const manifest = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
    assert.equal(manifest.engines.node, '>=22');
    assert.match(manifest.devDependencies['node'] ?? '', /^\^22\./);
  });

  it('allows exactly the catalogue models that Azure has not retired, defaulting to gpt-image-2', () => {
    const allowed = /@allowed\(\[([^\]]*)\]\)\s*\nparam imageModelName string = '([^']+)'/.exec(mainBicep);
    assert.ok(allowed, 'imageModelName has an @allowed list and a default');
    const names = [...(allowed[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
    const live = modelCatalogue.filter((model) => lifecycleVerdict(model, 'azure-openai', new Date()).state !== 'retired').map((m) => m.name);
    assert.deepEqual(names, live);
    assert.equal(allowed[2], defaultModelName);
    const version = /param imageModelVersion string = '([^']+)'/.exec(mainBicep);
    assert.equal(version?.[1], getModel(defaultModelName).azureModelVersion);
    const parameters = read('infra/main.parameters.json');
    assert.ok(parameters.includes(`\${IMAGE_MODEL=${defaultModelName}}`));
    assert.ok(parameters.includes(`\${IMAGE_MODEL_VERSION=${getModel(defaultModelName).azureModelVersion}}`));
  });

  it('puts Azure OpenAI in a region that offers the default model', () => {
    const location = /param openAiLocation string = '([^']+)'/.exec(mainBicep)?.[1] ?? '';
    const regions = /GlobalStandard in ([a-z0-9, ]+)/.exec(getModel(defaultModelName).lifecycle['azure-openai'].source)?.[1]?.split(', ') ?? [];
    assert.ok(regions.includes(location), `${location} is not one of ${regions.join(', ')}`);
    assert.ok(read('infra/main.parameters.json').includes(`\${AZURE_OPENAI_LOCATION=${location}}`));
  });

  it('sets every app setting a binding expression (%NAME%) in functions/ names, in infra/ and the local example', () => {
    const names = bindingExpressionSettings();
    assert.ok(names.includes('SWEEP_SCHEDULE'));
    const example = (JSON.parse(read('local.settings.example.json')) as { Values: Record<string, string> }).Values;
    for (const name of names) {
      assert.ok(isSetByInfra(name), `${name} is not set by infra/`);
      assert.ok(name in example, `${name} is not in local.settings.example.json`);
      assert.ok(documented.has(name), `${name} is missing from the settings table in ${settingsPage}`);
    }
  });

  for (const name of settingNames) {
    it(`setting ${name} is documented, and set by infra/ or defaulted`, () => {
      assert.ok(documented.has(name), `${name} is missing from the settings table in ${settingsPage}`);
      const hasDefault = documented.get(name) !== '–' && documented.get(name) !== '';
      assert.ok(
        isSetByInfra(name) || hasDefault || name in notSetInAzure,
        `${name} is neither set by infra/ nor has a documented default`,
      );
    });
  }

  it('sets the identity-based storage and Azure OpenAI settings, and no secret', () => {
    for (const name of ['AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId', 'AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__queueServiceUri', 'AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_DEPLOYMENT', 'IMAGE_MODEL', 'AZURE_CLIENT_ID', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING']) {
      assert.ok(isSetByInfra(name), `${name} is not set by infra/`);
    }
    assert.match(mainBicep, /STATUS_TOKEN_SECRETS: '@Microsoft\.KeyVault\(SecretUri=/, 'the signing secret comes from Key Vault');
    assert.match(mainBicep, /@secure\(\)\n[^\n]*\n[^\n]*\nparam statusTokenSecret string/);
    for (const secret of ['AZURE_OPENAI_API_KEY', 'OPENAI_API_KEY', 'AccountKey', 'listKeys(', 'SharedAccessSignature']) {
      assert.ok(!bicep.includes(secret), `infra/ mentions ${secret}`);
    }
    assert.match(mainBicep, /allowSharedKeyAccess: false/);
    assert.match(mainBicep, /allowBlobPublicAccess: false/);
    assert.match(mainBicep, /minimumTlsVersion: 'TLS1_2'/);
    assert.match(mainBicep, /supportsHttpsTrafficOnly: true/);
    assert.equal(mainBicep.match(/disableLocalAuth: true/g)?.length, 2, 'local auth off for Azure OpenAI and Application Insights');
  });

  it('creates every queue the code uses', () => {
    for (const queue of [storageNames.jobQueue, storageNames.poisonQueue, storageNames.webhookQueue, storageNames.webhookPoisonQueue, storageNames.erasureQueue, storageNames.erasurePoisonQueue]) {
      const variable = bicepVarFor(queue);
      assert.match(mainBicep, new RegExp(`queueNames: \\[[^\\]]*\\b${variable}\\b`), `queue ${queue} is not created`);
    }
    assert.match(read('infra/app/storage-data.bicep'), /queueServices\/queues@/);
  });

  it('creates the table the code uses, and sets its endpoint', () => {
    const variable = bicepVarFor(storageNames.jobIndexTable);
    assert.match(mainBicep, new RegExp(`tableNames: \\[[^\\]]*\\b${variable}\\b`), `table ${storageNames.jobIndexTable} is not created`);
    const events = bicepVarFor(storageNames.safetyEventsTable);
    assert.match(mainBicep, new RegExp(`tableNames: \\[[^\\]]*\\b${events}\\b`), `table ${storageNames.safetyEventsTable} is not created`);
    const accessLog = bicepVarFor(storageNames.accessLogTable);
    assert.match(mainBicep, new RegExp(`tableNames: \\[[^\\]]*\\b${accessLog}\\b`), `table ${storageNames.accessLogTable} is not created`);
    const line = bicepVarFor(storageNames.lineTable);
    assert.match(mainBicep, new RegExp(`tableNames: \\[[^\\]]*\\b${line}\\b`), `table ${storageNames.lineTable} is not created`);
    assert.match(read('infra/app/storage-data.bicep'), /tableServices\/tables@/);
    assert.ok(isSetByInfra('AzureWebJobsStorage__tableServiceUri'));
  });

  it('creates every container the code uses, with the retention rule over them', () => {
    const containers = /containers: \[([\s\S]*?)\n\s*\]/.exec(mainBicep)?.[1] ?? '';
    const rules = /lifecycleRules: \[([\s\S]*?)\n\s*\]/.exec(mainBicep)?.[1] ?? '';
    for (const container of [storageNames.jobsContainer, storageNames.imagesContainer, storageNames.usageContainer, storageNames.idempotencyContainer, storageNames.uploadsContainer, storageNames.operationsContainer]) {
      const variable = bicepVarFor(container);
      assert.match(containers, new RegExp(`name: ${variable}\\b`), `container ${container} is not created`);
      assert.match(rules, new RegExp(`containers: \\[[^\\]]*\\b${variable}\\b`), `container ${container} has no lifecycle rule`);
    }
    // Blob names carry no school, so the rule sits at the longest retention of any school; the sweep does each school's (retention.ts).
    assert.match(rules, /containers: \[jobsContainerName, imagesContainerName\], days: longestRetentionDays/, 'jobs and images are kept at most the longest school retention');
    assert.match(mainBicep, /var longestRetentionDays = max\(concat\(\[retentionDays\], schoolRetentionDays\)\)/);
    assert.match(mainBicep, /var schoolRetentionDays = map\(json\(tenants\), tenant => contains\(tenant, 'retentionDays'\) \? tenant\.retentionDays : retentionDays\)/);
    assert.match(read('infra/app/storage-data.bicep'), /daysAfterModificationGreaterThan: rule\.days/);
    // An upload link can snapshot its blob, and a snapshot would outlive its base blob's rule.
    assert.match(read('infra/app/storage-data.bicep'), /snapshot: \{\s*delete: \{\s*daysAfterCreationGreaterThan: rule\.days/, 'the rules delete snapshots too');
    assert.match(mainBicep, /blobServices: \{[^}]*isVersioningEnabled: false/, 'no previous versions outlive a delete');
    assert.match(mainBicep, /blobServices: \{[^}]*deleteRetentionPolicyEnabled: false/, 'no soft-deleted copy outlives an erasure');
  });

  it('runs on Flex Consumption with a user-assigned identity and the parameters an operator tunes', () => {
    assert.match(mainBicep, /tier: 'FlexConsumption'/);
    assert.match(mainBicep, /param maximumInstanceCount int/);
    assert.match(mainBicep, /param httpPerInstanceConcurrency int/);
    assert.match(read('infra/app/api.bicep'), /userAssignedResourceIds: \[identityId\]/);
    assert.match(read('infra/app/api.bicep'), /perInstanceConcurrency: httpPerInstanceConcurrency/);
    assert.match(mainBicep, /runtimeVersion: '(20|22)'/);
  });

  // Each role the identity gets, with the code that needs it: a role whose reason disappears from the code,
  // or a role granted without a reason here, fails this test.
  const neededRoles: Array<{ role: string; id: string; evidence: [file: string, text: string] }> = [
    { role: 'Storage Blob Data Owner', id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', evidence: ['shared/storage/blobJson.ts', '.upload('] },
    { role: 'Storage Queue Data Contributor', id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88', evidence: ['shared/storage/jobQueue.ts', 'sendMessage('] },
    { role: 'Storage Table Data Contributor', id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', evidence: ['shared/storage/jobIndex.ts', 'upsertEntity('] },
    { role: 'Storage Blob Delegator', id: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a', evidence: ['shared/storage/sasLinks.ts', 'getUserDelegationKey('] },
    { role: 'Cognitive Services OpenAI User', id: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd', evidence: ['shared/provider/imageProvider.ts', 'https://cognitiveservices.azure.com/.default'] },
    { role: 'Cognitive Services User', id: 'a97b65f3-24c7-4388-baec-2e87135dc908', evidence: ['shared/safety/contentSafety.ts', 'createCredential('] },
    { role: 'Monitoring Metrics Publisher', id: '3913510d-42f4-4e42-8a64-420c390055eb', evidence: ['infra/app/api.bicep', 'Authorization=AAD'] },
    { role: 'Key Vault Secrets User', id: '4633458b-17de-408a-b874-0445c86b69e6', evidence: ['shared/config/config.ts', 'STATUS_TOKEN_SECRETS'] },
  ];

  for (const { role, id, evidence } of neededRoles) {
    it(`grants ${role} to the managed identity, because the code needs it`, () => {
      assert.ok(read(evidence[0]).includes(evidence[1]), `${evidence[0]} no longer uses ${evidence[1]}: is ${role} still needed?`);
      const variable = new RegExp(`^var (\\w+) = '${id}'`, 'm').exec(rbacBicep)?.[1];
      assert.ok(variable, `${role} (${id}) is not in infra/app/rbac.bicep`);
      const grantedToIdentity =
        new RegExp(`var storageRoles = \\[[^\\]]*\\b${variable}\\b`).test(rbacBicep) ||
        new RegExp(`roleDefinitions', ${variable}\\)\\s*\\n\\s*principalId: managedIdentityPrincipalId`).test(rbacBicep);
      assert.ok(grantedToIdentity, `${role} is not assigned to the managed identity`);
    });
  }

  it('grants no other role', () => {
    const granted = [...rbacBicep.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g)].map((m) => m[1]);
    assert.deepEqual(new Set(granted), new Set(neededRoles.map((r) => r.id)));
    assert.ok(!/roleAssignments/.test(mainBicep), 'role assignments live in infra/app/rbac.bicep only');
  });

  describe('operations: alerts, action group and workbook (infra/app/monitoring.bicep)', () => {
    const monitoringBicep = read('infra/app/monitoring.bicep');
    const known = new Set<string>(Object.values(metricNames));

    it('is deployed by main.bicep with the alert e-mail, which azd asks for as ALERT_EMAIL', () => {
      assert.match(mainBicep, /module operations 'app\/monitoring\.bicep'/);
      assert.match(mainBicep, /alertEmail: alertEmail/);
      assert.ok(read('infra/main.parameters.json').includes('${ALERT_EMAIL=}'));
      assert.match(monitoringBicep, /resource actionGroup 'Microsoft\.Insights\/actionGroups@[\d-]+(-preview)?'/);
      assert.match(monitoringBicep, /emailAddress: alertEmail/);
    });

    it('has the six alerts the runbook names, each a scheduled query rule sent to the action group', () => {
      const names = [...monitoringBicep.matchAll(/^\s+name: '([a-z0-9-]+)'\n\s+severity:/gm)].map((match) => match[1]);
      assert.deepEqual(names, ['poison-messages-present', 'job-failure-rate', 'oldest-queued-job', 'provider-5xx-or-auth', 'content-safety-unavailable', 'school-spend-near-budget']);
      assert.match(monitoringBicep, /resource rules 'Microsoft\.Insights\/scheduledQueryRules@[\d-]+(-preview)?' = \[\s*for alert in alerts/);
      assert.match(monitoringBicep, /actionGroups: \[actionGroup\.id\]/);
      const runbook = read('docs/operations.md');
      for (const name of names) assert.ok(runbook.includes(`edu4all-${name ?? ''}`), `docs/operations.md does not say what to do when edu4all-${name ?? ''} fires`);
    });

    it('queries only metrics the code records, and the queues the code uses', () => {
      const used = [...monitoringBicep.matchAll(/"(edu4all\.[a-z_.]+)"/g)].map((match) => match[1] ?? '');
      assert.ok(used.length > 10);
      for (const name of used) assert.ok(known.has(name), `${name} is not in shared/telemetry/metrics.ts`);
      for (const queue of [...monitoringBicep.matchAll(/queue\) == "([a-z-]+)"/g)].map((match) => match[1] ?? '')) {
        assert.ok((Object.values(storageNames) as string[]).includes(queue), `queue ${queue}`);
      }
      // Every metric the alerts and the runbook rely on is on the workbook too.
      for (const name of [metricNames.jobsFinished, metricNames.images, metricNames.costUsd, metricNames.providerCalls, metricNames.queueOldestAge, metricNames.schoolMonthBudgetShare]) {
        assert.ok(monitoringBicep.includes(`"${name}"`), name);
      }
    });

    it('has a workbook per school and model over the same workspace', () => {
      assert.match(monitoringBicep, /resource workbook 'Microsoft\.Insights\/workbooks@[\d-]+'/);
      assert.match(monitoringBicep, /sourceId: logAnalyticsWorkspaceId/);
      assert.match(monitoringBicep, /by school = tostring\(Properties\.school\), model = tostring\(Properties\.model\)/);
    });
  });
});
