import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { analysisScale, imageForAnalysis, maxAnalysisBytes } from '../../../shared/safety/imageForAnalysis';

describe('the picture sent to image:analyze', () => {
  it('scales only what is outside the service\'s edges (2,048 px at most, 50 px at least)', () => {
    assert.equal(analysisScale(1024, 1024), 1);
    assert.equal(analysisScale(2048, 1152), 1);
    assert.equal(analysisScale(3840, 2160), 2048 / 3840);
    assert.equal(analysisScale(2160, 3840), 2048 / 3840);
    assert.equal(analysisScale(40, 100), 50 / 40);
  });

  it('sends a picture within the limits as it is stored', async () => {
    const bytes = await sharp({ create: { width: 1536, height: 1024, channels: 3, background: '#336699' } }).png().toBuffer();
    const image = await imageForAnalysis(bytes);
    assert.equal(image.bytes, bytes);
    assert.deepEqual([image.width, image.height, image.resized], [1536, 1024, false]);
  });

  it('sends a 3840x2160 picture of noise (a worst case for size) as a 2048x1152 copy under 4 MB', async () => {
    const width = 3840;
    const height = 2160;
    const bytes = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png().toBuffer();
    assert.ok(bytes.length > maxAnalysisBytes, 'the stored picture is over the limit');
    const image = await imageForAnalysis(bytes);
    assert.equal(image.resized, true);
    assert.deepEqual([image.width, image.height], [2048, 1152]);
    assert.ok(image.bytes.length <= maxAnalysisBytes, `${image.bytes.length} bytes`);
    const sent = await sharp(image.bytes).metadata();
    assert.deepEqual([sent.format, sent.width, sent.height], ['webp', 2048, 1152]);
  });

  it('keeps transparency in the copy (a transparent background is not painted over)', async () => {
    const bytes = await sharp({ create: { width: 2560, height: 1440, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const image = await imageForAnalysis(bytes);
    assert.equal((await sharp(image.bytes).metadata()).hasAlpha, true);
  });
});
