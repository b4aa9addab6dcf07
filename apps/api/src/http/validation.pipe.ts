import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';

function messages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (parent ? `${path}: ${m}` : m));
    return [...own, ...messages(e.children ?? [], path)];
  });
}

/**
 * class-transformer drops a key the new instance inherits a function or getter for (`constructor`,
 * `toString`, `__proto__`, …), so the whitelist never saw them and such a field was silently ignored.
 */
class ClosedWhitelistPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (this.toValidate(metadata) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        if (key in Object.prototype) throw new HeraldError('invalid_request', `property ${key} should not exist`);
      }
    }
    return super.transform(value, metadata);
  }
}

/**
 * DTOs are whitelists: an unknown property is refused (400 invalid_request), so a field a later version
 * adds (e.g. `delay` for scheduled publish) is never silently ignored by an older server.
 */
export function createValidationPipe(): ValidationPipe {
  return new ClosedWhitelistPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new HeraldError('invalid_request', messages(errors).join('; ') || 'Invalid request'),
  });
}
