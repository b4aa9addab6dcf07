import { HeraldError } from './errors.js';

/** How deep a message's JSON may nest (objects and arrays); deeper is 400 `invalid_json`. */
export const MAX_JSON_DEPTH = 100;

/**
 * Refuses a value nested deeper than MAX_JSON_DEPTH, walking it without recursion. JSON.parse takes
 * any depth, but JSON.stringify and every consumer after it recurse: a message nested thousands deep
 * would be accepted here and overflow the stack of the next process that serialises it.
 */
export function assertJsonDepth(value: unknown, max = MAX_JSON_DEPTH): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) throw new HeraldError('invalid_json', `Message nested deeper than ${max} levels`);
    const children = Array.isArray(v) ? v : Object.values(v as object);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, depth + 1]);
  }
}
