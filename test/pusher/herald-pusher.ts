import type * as Plugin from '../../libs/pusher-plugin/dist/types/index.js';

/**
 * herald-pusher as its users get it: the built ESM bundle (libs/pusher-plugin/dist/herald-pusher.mjs,
 * made by `node libs/pusher-plugin/build.mjs` in `npm run build`), typed by its own declarations.
 */
const url = new URL('../../../libs/pusher-plugin/dist/herald-pusher.mjs', import.meta.url);
export const heraldPusher = (await import(url.href)) as typeof Plugin;
