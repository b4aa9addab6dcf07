import { HeraldError, MAX_JSON_DEPTH } from '@herald/protocol';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of JSON text, read from its bytes without parsing (brackets inside strings do not
 * count). Engines parse deep JSON fine but serialise it recursively, so a body nested thousands deep
 * would pass the parser and blow the stack later, in whichever process touched it first.
 */
export function jsonDepth(text: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) max = depth;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return max;
}

/** The body's envelope (`{"channel":…,"message":…}`) is one level over the message. */
const ENVELOPE_LEVELS = 2;

/** Refuses a request body nested deeper than a message may be, as 400 invalid_json. */
export function assertBodyDepth(text: Uint8Array): void {
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH + ENVELOPE_LEVELS) throw new HeraldError('invalid_json', `JSON nested ${depth} levels deep; a message may nest at most ${MAX_JSON_DEPTH}`);
}

/**
 * body-parser's `verify` hook: the depth check before parsing. Thrown as a parse failure (400,
 * `entity.parse.failed`), which the error mapping answers as `invalid_json` with this text.
 */
export function verifyJsonBody(_req: unknown, _res: unknown, body: Buffer): void {
  try {
    assertBodyDepth(body);
  } catch (e) {
    throw Object.assign(new SyntaxError((e as Error).message), { status: 400, type: 'entity.parse.failed', heraldDetail: true });
  }
}
