import { registerDecorator, type ValidationOptions } from 'class-validator';

/**
 * An allowed origin is exactly what a browser sends in `Origin`: scheme, host and port, nothing else.
 * Returns the canonical form (lowercase host, default port dropped) or undefined when it is not one.
 */
export function canonicalOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 255) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== '/' || /\/.+/.test(value.replace(/^https?:\/\//i, ''))) return undefined;
  return url.origin;
}

export function IsOrigin(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isOrigin',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: 'each value in $property must be an origin like https://example.com (scheme, host, optional port)', ...options },
      validator: { validate: (v: unknown) => canonicalOrigin(v) !== undefined },
    });
}
