import type { z } from 'zod';
import { suggestionHint } from './did-you-mean.ts';
import type { ConfigError } from './types.ts';
import { type KeyPath, positionOf, type YamlSource } from './yaml-source.ts';

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;
type Seg = PropertyKey;

/** Validates a parsed YAML file against a schema; every issue becomes a positioned ConfigError. */
export function validateSource<S extends AnySchema>(
  src: YamlSource,
  schema: S,
): { value?: z.core.output<S>; errors: ConfigError[] } {
  const input = src.value ?? {};
  const result = (schema as unknown as z.ZodType).safeParse(input);
  if (result.success) return { value: result.data as z.core.output<S>, errors: [] };
  const errors = result.error.issues.flatMap((i) => issueToErrors(i, [], { src, schema, input }));
  return { errors: dedupe(errors) };
}

interface Ctx {
  src: YamlSource;
  schema: AnySchema;
  input: unknown;
}

function dedupe(errors: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.line}:${e.col}:${e.key}:${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Dotted form of a key path, as messages show it. */
export function dotted(path: KeyPath): string {
  return path.map(String).join('.');
}

function valueAt(input: unknown, path: KeyPath): unknown {
  let v = input;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** A short, safe rendering of a user's value for a message. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

const TYPE_NAMES: Record<string, [string, string]> = {
  object: ['a mapping', 'write "key: value" lines indented under this key'],
  array: ['a list', 'write a list, e.g. [a, b] or one "- item" per line'],
  string: ['text', 'write text (quote it if it looks like a number or true/false)'],
  number: ['a number', 'write a number without quotes'],
  int: ['a whole number', 'write a whole number without quotes'],
  boolean: ['true or false', 'write true or false'],
  record: ['a mapping', 'write "key: value" lines indented under this key'],
};

function error(ctx: Ctx, path: KeyPath, at: 'key' | 'value', message: string, hint?: string): ConfigError {
  return { ...positionOf(ctx.src, path, at), key: dotted(path), message, ...(hint ? { hint } : {}) };
}

function issueToErrors(issue: Issue, base: KeyPath, ctx: Ctx): ConfigError[] {
  const path = [...base, ...issue.path];
  const input = valueAt(ctx.input, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) =>
        error(ctx, [...path, k], 'key', `unknown key "${k}"`, suggestionHint(k, keysAt(ctx.schema, path))),
      );
    case 'invalid_type': {
      const [name, hint] = TYPE_NAMES[issue.expected] ?? [issue.expected, `write ${issue.expected}`];
      if (input === undefined) {
        const key = String(path[path.length - 1]);
        return [error(ctx, path, 'key', `missing required key "${key}"`, `add "${key}:" with ${name}`)];
      }
      return [error(ctx, path, 'value', `expected ${name}, got ${describeValue(input)}`, hint)];
    }
    case 'too_small':
      return [error(ctx, path, 'value', ...tooSmall(issue, input))];
    case 'too_big':
      return [
        error(
          ctx,
          path,
          'value',
          issue.origin === 'array'
            ? `has more than ${issue.maximum} items`
            : `${describeValue(input)} is above ${issue.maximum}`,
          issue.origin === 'array' ? 'remove some items' : `write a number up to ${issue.maximum}`,
        ),
      ];
    case 'invalid_format':
      return [error(ctx, path, 'value', ...badFormat(issue, input))];
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      return [
        error(
          ctx,
          path,
          'value',
          `${describeValue(input)} is not allowed`,
          suggestionHint(String(input), allowed, 'expected one of'),
        ),
      ];
    }
    case 'invalid_key': {
      const key = String(path[path.length - 1]);
      const why = issue.issues[0]?.message ?? 'invalid name';
      return [error(ctx, path, 'key', `invalid name "${key}"`, why)];
    }
    case 'invalid_union':
      return unionErrors(issue, path, ctx, input);
    case 'custom': {
      // A value that may be a secret someone committed is not repeated in logs.
      const secret = (issue as { params?: { secret?: boolean } }).params?.secret === true;
      const shown = secret ? '(not shown: it may be a secret)' : describeValue(input);
      return [error(ctx, path, 'value', `invalid value ${shown}`, issue.message)];
    }
    default:
      return [error(ctx, path, 'value', issue.message)];
  }
}

function tooSmall(issue: Extract<Issue, { code: 'too_small' }>, input: unknown): [string, string] {
  const min = Number(issue.minimum);
  if (issue.origin === 'array') return [`needs at least ${min} item${min === 1 ? '' : 's'}`, 'add an item'];
  if (issue.origin === 'string') return ['must not be empty', 'write a value'];
  return [`${describeValue(input)} is below ${min}`, `write a number of at least ${min}`];
}

function badFormat(issue: Extract<Issue, { code: 'invalid_format' }>, input: unknown): [string, string] {
  const custom = !issue.message.startsWith('Invalid');
  if (issue.format === 'url')
    return [
      `${describeValue(input)} is not an absolute http(s) URL`,
      'write a URL like https://example.com/path',
    ];
  if (issue.format === 'email')
    return [`${describeValue(input)} is not an email address`, 'write an address like ops@example.com'];
  if (issue.format === 'starts_with') {
    const prefix = (issue as { prefix?: string }).prefix ?? '';
    return [
      `${describeValue(input)} must start with "${prefix}"`,
      prefix === '/' ? 'write an absolute path' : `start it with "${prefix}"`,
    ];
  }
  return [
    `invalid value ${describeValue(input)}`,
    custom ? issue.message : `write a value matching ${issue.format}`,
  ];
}

function isMissingAtDepth1(i: Issue, input: unknown): boolean {
  return (
    i.code === 'invalid_type' &&
    i.path.length === 1 &&
    (input === null || typeof input !== 'object' || !(String(i.path[0]) in (input as object)))
  );
}

/** A branch fails "at the root" when the input is not even of its shape (other kind key, other type). */
function mismatchesAtRoot(branch: Issue[], input: unknown): boolean {
  return branch.some(
    (i) =>
      (i.path.length === 0 &&
        ['unrecognized_keys', 'invalid_type', 'invalid_value', 'invalid_format'].includes(i.code)) ||
      isMissingAtDepth1(i, input),
  );
}

function unionErrors(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: KeyPath,
  ctx: Ctx,
  input: unknown,
): ConfigError[] {
  const branches = issue.errors;
  const fitting = branches.filter((b) => !mismatchesAtRoot(b, input));
  if (fitting.length > 0) {
    const best = fitting.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((i) => issueToErrors(i, path, ctx));
  }
  const isObject = input !== null && typeof input === 'object' && !Array.isArray(input);
  if (!isObject) {
    const hints = [
      ...new Set(
        branches.flatMap((b) =>
          b
            .filter((i) => i.path.length === 0)
            .map((i) => {
              if (i.code === 'invalid_type') return (TYPE_NAMES[i.expected] ?? [i.expected])[0];
              if (i.code === 'invalid_value') return i.values.map(String).join(', ');
              if (i.code === 'invalid_format' && !i.message.startsWith('Invalid')) return i.message;
              return undefined;
            })
            .filter((h): h is string => h !== undefined),
        ),
      ),
    ];
    const kinds = distinctKeysAt(ctx.schema, path);
    if (typeof input === 'string' && kinds.includes(input)) {
      const hint = `write it as a mapping: "${input}: {}" with its options inside`;
      return [error(ctx, path, 'value', `"${input}" alone is not a complete item`, hint)];
    }
    return [
      error(ctx, path, 'value', `invalid value ${describeValue(input)}`, `expected ${hints.join(' or ')}`),
    ];
  }
  const kinds = distinctKeysAt(ctx.schema, path);
  const unknownPerBranch = branches.map(
    (b) => new Set(b.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []))),
  );
  const unknown = [...(unknownPerBranch[0] ?? [])].filter((k) => unknownPerBranch.every((s) => s.has(k)));
  if (unknown.length > 0) {
    const allowed = keysAt(ctx.schema, path);
    return unknown.map((k) =>
      error(
        ctx,
        [...path, k],
        'key',
        `unknown key "${k}"`,
        suggestionHint(k, allowed.length ? allowed : kinds, 'expected one of'),
      ),
    );
  }
  const present = kinds.filter((k) => k in (input as object));
  if (present.length > 1) {
    return [
      error(
        ctx,
        path,
        'value',
        `has ${present.join(' and ')}; only one of them is allowed here`,
        'split it into separate list items',
      ),
    ];
  }
  return [error(ctx, path, 'value', `missing one of: ${kinds.join(', ')}`, 'add exactly one of them')];
}

type Def = {
  type: string;
  innerType?: AnySchema;
  in?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
  element?: AnySchema;
  options?: AnySchema[];
};

function defOf(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

function unwrap(s: AnySchema): AnySchema[] {
  const def = defOf(s);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe' && def.in) return unwrap(def.in);
  if (def.type === 'union' && def.options) return def.options.flatMap(unwrap);
  return [s];
}

function childrenOf(s: AnySchema, seg: Seg): AnySchema[] {
  return unwrap(s).flatMap((u) => {
    const def = defOf(u);
    if (def.type === 'object' && def.shape) return def.shape[String(seg)] ? [def.shape[String(seg)]!] : [];
    if (def.type === 'record' && def.valueType) return [def.valueType];
    if (def.type === 'array' && def.element) return [def.element];
    return [];
  });
}

/** Keys that name one union branch at `path` (a step's kind, a route's type): keys only one option has. */
function distinctKeysAt(schema: AnySchema, path: KeyPath): string[] {
  let level = [schema];
  for (const seg of path) level = level.flatMap((s) => childrenOf(s, seg));
  const count = new Map<string, number>();
  for (const s of level.flatMap(unwrap)) {
    const def = defOf(s);
    if (def.type === 'object' && def.shape)
      for (const k of Object.keys(def.shape)) count.set(k, (count.get(k) ?? 0) + 1);
  }
  return [...count].filter(([, n]) => n === 1).map(([k]) => k);
}

/** Keys an object schema at `path` accepts (every union branch together), for "did you mean". */
export function keysAt(schema: AnySchema, path: KeyPath): string[] {
  let level = [schema];
  for (const seg of path) level = level.flatMap((s) => childrenOf(s, seg));
  const keys = level.flatMap(unwrap).flatMap((s) => {
    const def = defOf(s);
    return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
  });
  return [...new Set(keys)];
}
