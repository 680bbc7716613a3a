import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findContract, missingContract, readJsonFile } from '../contracts/contracts';
import { z } from 'zod';
import type { AvmParameter } from '../contracts/extract';
import { avmModuleCalls, readInfraBicep, resourceTypeReferences, type BicepValue } from '../contracts/bicepModules';
import { publishedResourceApiVersions } from './resourceApiVersions';

/**
 * infra/ against the registry modules and resource types it names. The Bicep compiler cannot be installed
 * here, so a call with a parameter the module does not have (which `bicep build` would refuse) would only
 * fail at `azd up`. This reads each `br/public:avm/…:<version>` call (bicepModules.ts) and checks it against
 * that version's parameter schema (its main.json, summarised by test/contracts/extract.ts avm): every
 * parameter we pass exists, has the module's type and, for a literal, an allowed value; every required one is
 * given. Nested object properties are not checked (main.json types them only in part). Resource types named
 * directly must use an API version Azure publishes (resourceApiVersions.ts).
 */

const files = readInfraBicep();
const calls = avmModuleCalls(files);

/** Bicep's types against ARM's: secure variants take the same values. */
function typeFits(value: BicepValue, parameter: AvmParameter): boolean {
  if (value.type === 'unknown') return true;
  if (value.type === 'null') return parameter.nullable;
  const armType = parameter.type.toLowerCase().replace(/^secure/, '');
  return armType === value.type;
}

/** What extract.ts writes for a module version (extract.ts AvmModuleContract), checked as it is read. */
const moduleContractSchema = z.object({
  module: z.string(),
  version: z.string(),
  source: z.object({ repository: z.string(), path: z.string(), tag: z.string(), commit: z.string(), date: z.string() }),
  parameters: z.record(
    z.string(),
    z.object({ type: z.string(), required: z.boolean(), nullable: z.boolean(), allowedValues: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional() }),
  ),
});

function contractOf(module: string, version: string): z.infer<typeof moduleContractSchema> | undefined {
  const file = findContract(`avm/${module.replace(/\//g, '+')}@${version}.json`);
  return file ? moduleContractSchema.parse(readJsonFile(file)) : undefined;
}

describe('infra/ against the registry modules and resource API versions it names', () => {
  it('reads every registry module call in infra/ (the parser is good enough for our files)', () => {
    const references = files.reduce((count, { text }) => count + (text.match(/'br\/public:/g) ?? []).length, 0);
    assert.equal(calls.length, references);
    assert.ok(calls.every((call) => Object.keys(call.params).length > 0), 'every call has parameters');
  });

  for (const call of calls) {
    const where = `${call.file}:${call.line} ${call.symbol} (${call.module}:${call.version})`;
    const file = `avm/${call.module.replace(/\//g, '+')}@${call.version}.json`;
    const contract = contractOf(call.module, call.version);
    it(`${where} passes only parameters the module has, of its types and allowed values, and every required one`, { skip: contract ? false : missingContract(file) }, () => {
      if (!contract) return;
      const problems: string[] = [];
      for (const [name, value] of Object.entries(call.params)) {
        const parameter = contract.parameters[name];
        if (!parameter) {
          problems.push(`${name}: the module has no such parameter (it has ${Object.keys(contract.parameters).sort().join(', ')})`);
          continue;
        }
        if (!typeFits(value, parameter)) problems.push(`${name}: we pass ${value.type} (${value.text.slice(0, 60)}), the module wants ${parameter.type}`);
        if (parameter.allowedValues && value.literal !== undefined && !parameter.allowedValues.includes(value.literal)) {
          problems.push(`${name}: ${JSON.stringify(value.literal)} is not one of ${JSON.stringify(parameter.allowedValues)}`);
        }
      }
      for (const [name, parameter] of Object.entries(contract.parameters)) {
        if (parameter.required && !(name in call.params)) problems.push(`${name}: required by the module, not passed`);
      }
      assert.deepEqual(problems, [], `${where} against ${contract.source.path} at ${contract.source.tag} (${contract.source.commit.slice(0, 12)})`);
    });
  }

  it('names resource types only at API versions azure-rest-api-specs publishes', () => {
    const unknown = resourceTypeReferences(files)
      .filter(({ type, apiVersion }) => publishedResourceApiVersions[type]?.[apiVersion] === undefined)
      .map(({ file, type, apiVersion }) => `${file}: ${type}@${apiVersion}`);
    assert.deepEqual(unknown, []);
    assert.ok(resourceTypeReferences(files).length >= 10, 'the resource lines are read');
  });
});
