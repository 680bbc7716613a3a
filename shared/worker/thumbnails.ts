import sharp from 'sharp';
import type { ImageStore, ListedImage } from '../storage/imageStore';
import { thumbnailBlobNameFor } from '../storage/imageStore';

/** Thumbnails fit in 256x256: enough for a gallery or a class overview, a few KiB each. */
export async function makeThumbnail(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).resize(256, 256, { fit: 'inside' }).webp({ quality: 70 }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/**
 * The thumbnails of a call's pictures, one at a time: sharp decodes a 3840x2160 picture into 33 MB, and ten
 * at once took a host's peak RSS to 374 MB (npm run bench -- --only=memory). A crash in between is repaired
 * by thumbnailFor.
 */
export async function saveThumbnails(images: Pick<ImageStore, 'saveThumbnail'>, jobId: string, pictures: readonly { readonly index: number; readonly bytes: Buffer }[]): Promise<void> {
  for (const picture of pictures) {
    const thumbnail = await makeThumbnail(picture.bytes);
    await images.saveThumbnail(jobId, picture.index, thumbnail.data, thumbnail);
  }
}

/** A thumbnail a crash kept from being made with its image (a redelivery does not make the image again). */
export async function thumbnailFor(images: Pick<ImageStore, 'read' | 'saveThumbnail'>, jobId: string, image: ListedImage): Promise<ListedImage['thumbnail']> {
  const bytes = await images.read(image.blobName);
  if (!bytes) return undefined;
  const thumbnail = await makeThumbnail(bytes);
  await images.saveThumbnail(jobId, image.index, thumbnail.data, thumbnail);
  return { blobName: thumbnailBlobNameFor(jobId, image.index), width: thumbnail.width, height: thumbnail.height };
}
