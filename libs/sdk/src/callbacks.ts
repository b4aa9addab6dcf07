import { toHeraldError, type HeraldError } from './errors.js';
import { safely } from './subscriptions.js';
import type { Callbacks } from './types.js';

/**
 * Every call answers twice, GoEasy's way and the modern way: `onSuccess`/`onFailed` callbacks, and the
 * returned Promise. A rejection that the app handles by callback only is not reported as unhandled.
 */
export function settle<T>(promise: Promise<T>, cb: Callbacks<T> | undefined): Promise<T> {
  const out = promise.then(
    (v) => {
      if (cb?.onSuccess) safely(() => cb.onSuccess!(v));
      return v;
    },
    (e: unknown) => {
      const err: HeraldError = toHeraldError(e);
      if (cb?.onFailed) safely(() => cb.onFailed!(err));
      throw err;
    },
  );
  if (cb?.onFailed) out.catch(() => undefined);
  return out;
}

/** Runs `body`, turning a synchronous validation error into a rejected (and called-back) call. */
export function call<T>(cb: Callbacks<T> | undefined, body: () => Promise<T>): Promise<T> {
  let p: Promise<T>;
  try {
    p = body();
  } catch (e) {
    p = Promise.reject(toHeraldError(e));
  }
  return settle(p, cb);
}
