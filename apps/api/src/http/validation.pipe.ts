import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { HeraldError } from '@herald/protocol';

function messages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (parent ? `${path}: ${m}` : m));
    return [...own, ...messages(e.children ?? [], path)];
  });
}

/**
 * DTOs are whitelists: an unknown property is refused (400 invalid_request), so a field a later version
 * adds (e.g. `delay` for scheduled publish) is never silently ignored by an older server.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new HeraldError('invalid_request', messages(errors).join('; ') || 'Invalid request'),
  });
}
