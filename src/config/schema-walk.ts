/**
 * Finds one's way in the zod schemas alongside the data they describe, so that messages
 * (allowed keys, union members) and checks (where the secrets are) follow schema.ts
 * rather than lists kept by hand.
 */
import { z } from 'zod';
import type { DocPath } from './issues.js';

type Schema = z.ZodType;

/** Strips the wrappers that do not change the shape (optional, default, nullable...). */
export function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodReadonly ||
      current instanceof z.ZodNonOptional ||
      current instanceof z.ZodCatch
    ) {
      current = current.unwrap() as Schema;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as Schema;
    } else {
      return current;
    }
  }
}

/** A YAML mapping, as plain data. */
export function isMapping(data: unknown): data is Record<string, unknown> {
  return typeof data === 'object' && data !== null && !Array.isArray(data);
}

/** The value at `path` of plain data, or undefined if the path leads nowhere. */
export function valueAt(data: unknown, path: DocPath): unknown {
  let value = data;
  for (const step of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[step];
  }
  return value;
}

/** The member of a union that `data` means: by its discriminator, else the first object with `key`. */
function memberFor(union: z.ZodUnion, data: unknown, key?: string): Schema | undefined {
  const options = union.options as readonly Schema[];
  if (union instanceof z.ZodDiscriminatedUnion) {
    const discriminator = union.def.discriminator;
    const value = isMapping(data) ? data[discriminator] : undefined;
    return options.find((option) => {
      const tag = shapeOf(option)?.[discriminator];
      return tag !== undefined && tag.safeParse(value).success;
    });
  }
  return key === undefined ? undefined : options.find((option) => shapeOf(option)?.[key] !== undefined);
}

function shapeOf(schema: Schema): Record<string, Schema> | undefined {
  const plain = unwrap(schema);
  return plain instanceof z.ZodObject ? plain.shape : undefined;
}

/** The schema of `data[key]` inside a value of `schema` (the data picks union members). */
export function childSchema(schema: Schema, key: string | number, data: unknown): Schema | undefined {
  const plain = unwrap(schema);
  if (plain instanceof z.ZodObject) return (plain.shape as Record<string, Schema>)[String(key)];
  if (plain instanceof z.ZodRecord) return plain.valueType as Schema;
  if (plain instanceof z.ZodArray) return plain.element as Schema;
  if (plain instanceof z.ZodUnion) {
    const member = memberFor(plain, data, String(key));
    return member === undefined ? undefined : childSchema(member, key, data);
  }
  return undefined;
}

/** The schema at `path` of the document `data`, if the schema goes that deep. */
export function schemaAt(root: Schema, path: DocPath, data: unknown): Schema | undefined {
  let schema: Schema | undefined = root;
  let value = data;
  for (const step of path) {
    if (schema === undefined) return undefined;
    schema = childSchema(schema, step, value);
    value = valueAt(value, [step]);
  }
  return schema;
}

/** The keys a mapping described by `schema` may hold; for a union, those of the member meant, else of all. */
export function allowedKeys(schema: Schema | undefined, data: unknown): string[] {
  if (schema === undefined) return [];
  const plain = unwrap(schema);
  if (plain instanceof z.ZodUnion) {
    const member = memberFor(plain, data);
    const members = member === undefined ? (plain.options as readonly Schema[]) : [member];
    return [...new Set(members.flatMap((option) => Object.keys(shapeOf(option) ?? {})))];
  }
  return Object.keys(shapeOf(plain) ?? {});
}

/** The union's members as the keys each one takes: `{target, dir}`, `{dir}`; none unless every member is a mapping. */
export function unionShapes(schema: Schema | undefined): string[] {
  const options = unionOptions(schema);
  if (options.some((option) => shapeOf(option) === undefined)) return [];
  return options.map((option) => `{${Object.keys(shapeOf(option) ?? {}).join(', ')}}`);
}

/** The values of a union of literals (`scale`: 10, 100, 1000, 1000000); none for any other union. */
export function unionLiterals(schema: Schema | undefined): unknown[] {
  const options = unionOptions(schema).map(unwrap);
  if (options.length === 0 || !options.every((option) => option instanceof z.ZodLiteral)) return [];
  return options.flatMap((option) => [...option.values]);
}

/** Which member of a union a mapping means: the one member whose keys hold all of its keys, if only one does. */
export function unionMemberMeant(schema: Schema | undefined, data: Record<string, unknown>): number | undefined {
  const keys = Object.keys(data);
  if (keys.length === 0) return undefined;
  const fitting = unionOptions(schema).flatMap((option, index) => {
    const shape = shapeOf(option);
    return shape !== undefined && keys.every((key) => key in shape) ? [index] : [];
  });
  return fitting.length === 1 ? fitting[0] : undefined;
}

function unionOptions(schema: Schema | undefined): readonly Schema[] {
  const plain = schema === undefined ? undefined : unwrap(schema);
  return plain instanceof z.ZodUnion ? (plain.options as readonly Schema[]) : [];
}

/** Every path of `data` whose schema satisfies `wanted` (e.g. is the secret reference schema). */
export function findPaths(schema: Schema, data: unknown, wanted: (schema: Schema) => boolean, path: DocPath = []): DocPath[] {
  if (wanted(unwrap(schema))) return [path];
  const entries: [string | number, unknown][] = Array.isArray(data)
    ? data.map((value, index) => [index, value])
    : isMapping(data)
      ? Object.entries(data)
      : [];
  return entries.flatMap(([key, value]) => {
    const child = childSchema(schema, key, data);
    return child === undefined ? [] : findPaths(child, value, wanted, [...path, key]);
  });
}
