import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getModelProfile, modelNames, orientationOfSize, parseSize, supportedSizes } from '../../shared/modelProfiles';

describe('model profiles', () => {
  it('covers dall-e-3 and the gpt-image-1 family', () => {
    assert.deepEqual([...modelNames], ['dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5']);
  });

  it('describes dall-e-3 as documented: one image per call, style, response_format, 4,000 characters', () => {
    const profile = getModelProfile('dall-e-3');
    assert.deepEqual(supportedSizes(profile), ['1024x1024', '1792x1024', '1024x1792']);
    assert.equal(profile.maxImagesPerCall, 1);
    assert.deepEqual(profile.qualities, ['standard', 'hd']);
    assert.deepEqual(profile.styles, ['vivid', 'natural']);
    assert.equal(profile.acceptsResponseFormat, true);
    assert.equal(profile.maxPromptChars, 4000);
    assert.equal(profile.revisesPrompt, true);
    assert.match(profile.retired ?? '', /retired/);
  });

  for (const name of ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5'] as const) {
    it(`describes ${name}: up to 10 per call, base64 only, no style`, () => {
      const profile = getModelProfile(name);
      assert.deepEqual(supportedSizes(profile), ['1024x1024', '1536x1024', '1024x1536']);
      assert.equal(profile.maxImagesPerCall, 10);
      assert.deepEqual(profile.qualities, ['low', 'medium', 'high']);
      assert.deepEqual(profile.styles, []);
      assert.equal(profile.acceptsResponseFormat, false);
      assert.equal(profile.acceptsOutputFormat, true);
      assert.equal(profile.maxPromptChars, 32000);
    });
  }

  it('maps sizes back to orientations and parses them', () => {
    const profile = getModelProfile('gpt-image-1');
    assert.equal(orientationOfSize(profile, '1024x1536'), 'portrait');
    assert.equal(orientationOfSize(profile, '1792x1024'), undefined);
    assert.deepEqual(parseSize('1536x1024'), { width: 1536, height: 1024 });
  });
});
