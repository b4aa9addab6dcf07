import type * as Sdk from '../../libs/sdk/dist/types/sdk/src/index.js';

/**
 * The SDK as its users get it: the built ESM bundle (libs/sdk/dist/herald.mjs, made by
 * `node libs/sdk/build.mjs`, the first step of `npm run build`), typed by its own declarations.
 * The root tsconfig compiles nothing of libs/sdk; this file is the one bridge.
 */
const url = new URL('../../../libs/sdk/dist/herald.mjs', import.meta.url);
export const sdk = (await import(url.href)) as typeof Sdk;
export type { Sdk };

/** Test timings, overridable: HERALD_SDK_TEST_TIMEOUT_MS bounds every wait. */
export const WAIT_MS = Number(process.env.HERALD_SDK_TEST_TIMEOUT_MS || 15_000);
