import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageDeployments } from '../../../shared/config/imageDeployments';
import { ConfigurationError } from '../../../shared/errors';

const context = { model: 'gpt-image-2', inAzure: true };
const sweden = { endpoint: 'https://edu-se.openai.azure.com/', deployment: 'gpt-image-2', region: 'swedencentral', requestsPerMinute: 9 };
const poland = { endpoint: 'https://edu-pl.openai.azure.com', deployment: 'gpt-image-2', region: 'polandcentral', requestsPerMinute: 6, priority: 2 };

function refusal(value: unknown, options = context): string {
  try {
    parseImageDeployments(JSON.stringify(value), options);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError);
    return error.message;
  }
  assert.fail('expected a ConfigurationError');
}

describe('IMAGE_DEPLOYMENTS', () => {
  it('reads a list of deployments, naming each and defaulting the priority', () => {
    const { deployments, warnings } = parseImageDeployments(JSON.stringify([sweden, poland]), context);
    assert.deepEqual(deployments, [
      { name: 'swedencentral-gpt-image-2', endpoint: 'https://edu-se.openai.azure.com', deployment: 'gpt-image-2', region: 'swedencentral', requestsPerMinute: 9, priority: 1 },
      { name: 'polandcentral-gpt-image-2', endpoint: 'https://edu-pl.openai.azure.com', deployment: 'gpt-image-2', region: 'polandcentral', requestsPerMinute: 6, priority: 2 },
    ]);
    assert.deepEqual(warnings, []);
  });

  it('refuses what is not a list, or an empty one', () => {
    assert.match(refusal({}), /non-empty JSON list/);
    assert.match(refusal([]), /non-empty JSON list/);
    assert.throws(() => parseImageDeployments('[{', context), /JSON list/);
  });

  it('names the entry and field that is wrong', () => {
    assert.match(refusal([sweden, { ...poland, requestsPerMinute: 0 }]), /IMAGE_DEPLOYMENTS\[1\]\.requestsPerMinute/);
    assert.match(refusal([{ ...sweden, priority: 1.5 }]), /IMAGE_DEPLOYMENTS\[0\]\.priority: priority must be a whole number/);
    assert.match(refusal([{ ...sweden, endpoint: 'not a url' }]), /IMAGE_DEPLOYMENTS\[0\]\.endpoint/);
    assert.match(refusal([{ ...sweden, colour: 'blue' }]), /IMAGE_DEPLOYMENTS\[0\]/);
    assert.match(refusal([{ endpoint: sweden.endpoint, requestsPerMinute: 9 }]), /IMAGE_DEPLOYMENTS\[0\]\.deployment/);
  });

  it('refuses a deployment of another model', () => {
    assert.match(refusal([{ ...sweden, model: 'gpt-image-1' }]), /IMAGE_DEPLOYMENTS\[0\].*gpt-image-1.*IMAGE_MODEL is gpt-image-2/);
  });

  it('refuses an endpoint that is not https in Azure, and allows it locally', () => {
    const local = { ...sweden, endpoint: 'http://127.0.0.1:7001' };
    assert.match(refusal([local]), /IMAGE_DEPLOYMENTS\[0\]\.endpoint must be https in Azure/);
    assert.equal(parseImageDeployments(JSON.stringify([local]), { ...context, inAzure: false }).deployments[0]?.endpoint, 'http://127.0.0.1:7001');
  });

  it('refuses a duplicate deployment or name', () => {
    assert.match(refusal([sweden, { ...sweden, endpoint: 'https://EDU-SE.openai.azure.com' }]), /IMAGE_DEPLOYMENTS\[1\].*listed twice/);
    assert.match(refusal([{ ...sweden, name: 'one' }, { ...poland, name: 'one' }]), /IMAGE_DEPLOYMENTS\[1\]: the name one is used twice/);
  });

  it('warns of a region it does not know, without refusing it', () => {
    const { deployments, warnings } = parseImageDeployments(JSON.stringify([{ ...sweden, region: 'marscentral' }]), context);
    assert.equal(deployments.length, 1);
    assert.deepEqual(warnings, ['IMAGE_DEPLOYMENTS[0].region marscentral is not an Azure region this version knows; check the name.']);
  });
});
