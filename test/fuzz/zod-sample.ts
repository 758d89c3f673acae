/**
 * Plausible (mostly valid) values from a route's zod schema, as fast-check arbitraries, so every
 * route in the registry gets bodies and queries without a hand-written list. Strings and numbers
 * come from `hints` by field name (user ids, stage keys, amounts), else from a generic pool; the
 * fuzz engine then breaks them field by field.
 */
import fc from 'fast-check';
import type { z } from 'zod';

/** A field's values by name: `object` is asked first for any field, then `string`/`number` by type. */
export type Hints = (
  field: string,
  kind: 'object' | 'string' | 'number',
) => fc.Arbitrary<unknown> | undefined;

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  in?: z.ZodType;
  out?: z.ZodType;
  parts?: unknown[];
  valueType?: z.ZodType;
  keyType?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
  getter?: () => z.ZodType;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Whether the schema accepts `undefined` at the top (optional, default). */
export function isOptional(s: z.ZodType): boolean {
  const t = defOf(s).type;
  return t === 'optional' || t === 'default' || t === 'prefault';
}

export function sampleOf(schema: z.ZodType, hints: Hints, field = '', depth = 0): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 12) return fc.constant(null);
  const whole = def.type === 'optional' || !field ? undefined : hints(field, 'object');
  if (whole) return whole;
  const next = (s: z.ZodType, f = field) => sampleOf(s, hints, f, depth + 1);
  switch (def.type) {
    case 'object': {
      const shape = def.shape ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      const required: string[] = [];
      for (const [k, v] of Object.entries(shape)) {
        model[k] = next(v, k);
        if (!isOptional(v) || hints(k, 'object')) required.push(k);
      }
      return fc.record(model, { requiredKeys: required });
    }
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return next(def.innerType!);
    case 'nullable':
      return fc.oneof(
        { arbitrary: next(def.innerType!), weight: 4 },
        { arbitrary: fc.constant(null), weight: 1 },
      );
    case 'pipe':
      return next(def.in!);
    case 'lazy':
      return next(def.getter!());
    case 'union':
      return fc.oneof(...(def.options ?? []).map((o) => next(o)));
    case 'intersection':
      return next(def.left!);
    case 'array':
      return fc.array(next(def.element!), { minLength: 1, maxLength: 3 });
    case 'tuple':
      return fc.tuple(...(def.items ?? []).map((i) => next(i)));
    case 'record':
      return fc.dictionary(fc.constantFrom('a', 'b'), next(def.valueType!), { maxKeys: 2 });
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? { x: 'x' }));
    case 'literal':
      return fc.constantFrom(...(def.values ?? [null]));
    case 'template_literal':
      return hints(field, 'string') ?? fc.constant('group:sdt');
    case 'string':
      return (
        hints(field, 'string') ??
        fc.oneof(fc.constantFrom('fuzz', 'Fuzz text', '铁三角'), fc.string({ maxLength: 12 }))
      );
    case 'number':
    case 'int':
      return hints(field, 'number') ?? fc.integer({ min: 1, max: 100 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return fc.constant(null);
  }
}
