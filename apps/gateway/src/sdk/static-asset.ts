import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { ContentEncoding, EncodedBody } from '@herald/http';

/** A file read from the build output with its gzip and brotli forms, compressed once per change. */
export interface Asset {
  mtimeMs: number;
  /** Hex digest of the plain bytes: names the versioned URL and every variant's ETag. */
  hash: string;
  variants: Record<ContentEncoding, EncodedBody>;
}

/** How many hex digits of the SHA-256 name a version: collisions between two builds are not a concern. */
export const HASH_LENGTH = 16;

/**
 * Reads `abs` and compresses it at the highest levels (paid once per build, not per request).
 * Undefined when the file does not exist (not built yet). Re-reads only when the mtime changed.
 */
export function loadAsset(abs: string, previous?: Asset): Asset | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(abs).mtimeMs;
  } catch {
    return undefined;
  }
  if (previous && previous.mtimeMs === mtimeMs) return previous;
  const plain = readFileSync(abs);
  const hash = createHash('sha256').update(plain).digest('hex').slice(0, HASH_LENGTH);
  const variant = (body: Buffer, encoding: ContentEncoding): EncodedBody => ({ body, etag: `"${hash}${encoding === 'identity' ? '' : `-${encoding}`}"` });
  return {
    mtimeMs,
    hash,
    variants: {
      identity: variant(plain, 'identity'),
      gzip: variant(gzipSync(plain, { level: 9 }), 'gzip'),
      br: variant(
        brotliCompressSync(plain, {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length },
        }),
        'br',
      ),
    },
  };
}
