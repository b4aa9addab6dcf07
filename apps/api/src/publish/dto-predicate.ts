import { ValidationTypes, getMetadataStorage, type ValidationArguments } from 'class-validator';

type Body = Record<string, unknown>;

interface FieldRules {
  readonly name: string;
  /** IsOptional / ValidateIf: when one is false the field's constraints are skipped. */
  readonly conditions: Array<(object: object, value: unknown) => boolean>;
  /** IsString, MaxLength, …: the constraint classes' own validate functions. */
  readonly constraints: Array<{ validate: (value: unknown, args: ValidationArguments) => unknown; constraints: unknown[]; validateIf?: (object: object, value: unknown) => boolean }>;
}

/**
 * A synchronous predicate equal to the API's ValidationPipe (whitelist, forbidNonWhitelisted) for a
 * DTO, read once from the DTO's class-validator metadata: the same fields, the same conditions and the
 * same constraint functions, so a change to the DTO changes the fast path with it. Fields in `except`
 * make the predicate false (the caller leaves those bodies to the framework). A rule that cannot be
 * run on the raw body this way (nested, each, async, groups) throws when the predicate is built, at
 * start-up, rather than being skipped.
 */
export function dtoPredicate<T>(dto: new () => T, except: readonly string[] = []): (body: unknown) => body is T {
  const storage = getMetadataStorage();
  const byField = new Map<string, FieldRules>();
  for (const m of storage.getTargetValidationMetadatas(dto, '', false, false)) {
    const where = `${dto.name}.${m.propertyName}`;
    if (m.groups?.length || m.always) throw new Error(`${where}: validation groups are not supported by dtoPredicate`);
    let field = byField.get(m.propertyName);
    if (!field) byField.set(m.propertyName, (field = { name: m.propertyName, conditions: [], constraints: [] }));
    switch (m.type) {
      case ValidationTypes.WHITELIST:
        break;
      case ValidationTypes.CONDITIONAL_VALIDATION:
        field.conditions.push(m.constraints[0] as (object: object, value: unknown) => boolean);
        break;
      case ValidationTypes.CUSTOM_VALIDATION:
      case ValidationTypes.IS_DEFINED:
        if (m.each) throw new Error(`${where}: each-item rules are not supported by dtoPredicate`);
        for (const c of storage.getTargetValidatorConstraints(m.constraintCls)) {
          if (c.async) throw new Error(`${where}: async rule ${c.name} is not supported by dtoPredicate`);
          const instance = c.instance as { validate: (value: unknown, args: ValidationArguments) => unknown };
          field.constraints.push({ validate: instance.validate.bind(instance), constraints: m.constraints, validateIf: m.validateIf });
        }
        break;
      default:
        throw new Error(`${where}: ${m.type} rules are not supported by dtoPredicate`);
    }
  }
  const allowed = new Set([...byField.keys()].filter((k) => !except.includes(k)));
  const checked = [...byField.values()].filter((f) => f.constraints.length > 0);
  const targetName = dto.name;

  return (body: unknown): body is T => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    for (const k in body) if (!allowed.has(k)) return false;
    fields: for (const f of checked) {
      const value = (body as Body)[f.name];
      for (const applies of f.conditions) if (!applies(body, value)) continue fields;
      for (const c of f.constraints) {
        if (c.validateIf && !c.validateIf(body, value)) continue;
        if (!c.validate(value, { targetName, property: f.name, object: body, value, constraints: c.constraints })) return false;
      }
    }
    return true;
  };
}
