import { Validator } from '@cfworker/json-schema';
import { OPENAPI } from '../../../src/http/openapi.js';

type Operation = { responses: Record<string, { content?: Record<string, { schema?: object }> }> };

/** The path template of OPENAPI.paths that `pathname` matches (/api/runs/12 → /api/runs/{id}). */
function template(pathname: string): string {
  for (const key of Object.keys(OPENAPI.paths)) {
    const regex = new RegExp(`^${key.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (regex.test(pathname)) return key;
  }
  throw new Error(`${pathname} is not described in the OpenAPI document`);
}

/**
 * The problems of a JSON answer against the OpenAPI description of its path, method and
 * status: [] when it conforms. An undescribed status is a problem too.
 */
export function openApiProblems(method: 'get' | 'post', url: string, status: number, body: unknown): string[] {
  const pathname = new URL(url, 'http://localhost').pathname;
  const operation = (OPENAPI.paths as unknown as Record<string, Record<string, Operation>>)[template(pathname)]?.[method];
  if (!operation) return [`${method.toUpperCase()} ${pathname} is not described`];
  const response = operation.responses[String(status)];
  if (!response) return [`status ${status} of ${method.toUpperCase()} ${pathname} is not described`];
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return [`${method.toUpperCase()} ${pathname} ${status} has no JSON schema`];
  const validator = new Validator({ ...schema, components: OPENAPI.components }, '2020-12', false);
  const result = validator.validate(body);
  return result.errors
    .filter((e) => e.keyword !== 'properties' && e.keyword !== '$ref' && e.keyword !== 'items' && e.keyword !== 'allOf')
    .map((e) => `${e.instanceLocation}: ${e.error}`);
}
