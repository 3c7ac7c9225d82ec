import type { z } from 'zod';

/** Accepts a value that its schema accepts unchanged; false means "ask the schema" (it may still pass). */
export type BodyCheck = (value: unknown) => boolean;

type Def = {
  type: string;
  checks?: Array<{ _zod: { def: CheckDef } }>;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  values?: readonly unknown[];
  fn?: (value: unknown) => unknown;
};
type CheckDef = {
  check: string;
  minimum?: number;
  maximum?: number;
  value?: number;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
};

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Compiles a zod schema into a plain check for the values it passes through unchanged: objects
 * (strict), strings, numbers, booleans, arrays, string records, literals, nullables, optionals and
 * custom checks, with the length, range, integer and pattern checks the bus's schemas use. A schema
 * that transforms, defaults, or uses anything else returns null: it is checked by zod alone.
 *
 * The compiled check is one-sided by construction: it returns true only for values the schema
 * accepts as they are, and false for anything it is not sure of (an optional field set to
 * `undefined`, a class instance, an unknown key), so a false sends the value on to zod, which decides
 * and words the error. Zod's generic walk costs tens of microseconds per command in a process that
 * wakes cold for each message; this costs a few.
 */
export function compileBodyCheck(schema: z.ZodType): BodyCheck | null {
  const def = defOf(schema);
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  switch (def.type) {
    case 'unknown':
      return checks.length === 0 ? () => true : null;
    case 'boolean':
      return checks.length === 0 ? (v) => typeof v === 'boolean' : null;
    case 'literal': {
      const values = def.values;
      return checks.length === 0 && Array.isArray(values) ? (v) => values.includes(v) : null;
    }
    case 'custom': {
      const fn = def.fn;
      return checks.length === 0 && fn !== undefined ? (v) => fn(v) === true : null;
    }
    case 'string':
      return stringCheck(checks);
    case 'number':
      return numberCheck(checks);
    case 'nullable': {
      const inner = def.innerType === undefined ? null : compileBodyCheck(def.innerType);
      return inner === null || checks.length > 0 ? null : (v) => v === null || inner(v);
    }
    case 'array': {
      const element = def.element === undefined ? null : compileBodyCheck(def.element);
      const length = lengthBounds(checks);
      if (element === null || length === null) return null;
      return (v) => {
        if (!Array.isArray(v) || v.length < length.min || v.length > length.max) return false;
        for (const x of v) if (!element(x)) return false;
        return true;
      };
    }
    case 'record': {
      const key = def.keyType === undefined ? null : defOf(def.keyType);
      const value = def.valueType === undefined ? null : compileBodyCheck(def.valueType);
      if (key?.type !== 'string' || (key.checks ?? []).length > 0 || value === null || checks.length > 0)
        return null;
      return (v) => {
        if (!isPlainObject(v)) return false;
        for (const k in v) if (!value(v[k])) return false;
        return true;
      };
    }
    case 'object':
      return objectCheck(def, checks);
    default:
      return null;
  }
}

function objectCheck(def: Def, checks: CheckDef[]): BodyCheck | null {
  if (checks.length > 0 || def.catchall === undefined || defOf(def.catchall).type !== 'never') return null;
  const fields = new Map<string, BodyCheck>();
  const required: string[] = [];
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const fieldDef = defOf(field);
    const optional = fieldDef.type === 'optional';
    if (optional && (fieldDef.checks ?? []).length > 0) return null;
    const check = compileBodyCheck(optional ? (fieldDef.innerType as z.ZodType) : field);
    if (check === null) return null;
    fields.set(key, check);
    if (!optional) required.push(key);
  }
  return (v) => {
    if (!isPlainObject(v)) return false;
    let present = 0;
    for (const key in v) {
      const check = fields.get(key);
      const x = v[key];
      // An optional field given as undefined is zod's to judge (exactOptional refuses it).
      if (check === undefined || x === undefined || !check(x)) return false;
      present++;
    }
    if (present === fields.size) return true;
    for (const key of required) if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    return true;
  };
}

function lengthBounds(checks: CheckDef[]): { min: number; max: number } | null {
  let min = 0;
  let max = Infinity;
  for (const c of checks) {
    if (c.check === 'min_length' && c.minimum !== undefined) min = Math.max(min, c.minimum);
    else if (c.check === 'max_length' && c.maximum !== undefined) max = Math.min(max, c.maximum);
    else return null;
  }
  return { min, max };
}

function stringCheck(checks: CheckDef[]): BodyCheck | null {
  const patterns: RegExp[] = [];
  for (const c of checks)
    if (c.check === 'string_format') {
      if (c.format !== 'regex' || c.pattern === undefined || c.pattern.global || c.pattern.sticky)
        return null;
      patterns.push(c.pattern);
    }
  const length = lengthBounds(checks.filter((c) => c.check !== 'string_format'));
  if (length === null) return null;
  return (v) => {
    if (typeof v !== 'string' || v.length < length.min || v.length > length.max) return false;
    for (const p of patterns) if (!p.test(v)) return false;
    return true;
  };
}

function numberCheck(checks: CheckDef[]): BodyCheck | null {
  let int = false;
  const bounds: BodyCheck[] = [];
  for (const c of checks) {
    const { value, inclusive } = c;
    if (c.check === 'number_format' && c.format === 'safeint') int = true;
    else if (c.check === 'greater_than' && value !== undefined)
      bounds.push(inclusive === true ? (v) => (v as number) >= value : (v) => (v as number) > value);
    else if (c.check === 'less_than' && value !== undefined)
      bounds.push(inclusive === true ? (v) => (v as number) <= value : (v) => (v as number) < value);
    else return null;
  }
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isSafeInteger(v))) return false;
    for (const bound of bounds) if (!bound(v)) return false;
    return true;
  };
}
