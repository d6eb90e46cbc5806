// An install for production (`npm ci --omit=dev`, a global install) has the packages of
// "dependencies" only: every package src/ loads at run time must be one of them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The package of a bare specifier ("pg-promise/typescript/x.js" → "pg-promise"), or null for node: and relative ones. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Packages a file loads when it runs: value imports and re-exports, import() and require(), createRequire's too (type-only ones are erased). */
function runtimePackages(source: string): string[] {
  const specifiers = [
    ...[...source.matchAll(/^(?:import|export)\s+(?!type\b)[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...source.matchAll(/^import\s+'([^']+)'/gm)].map((m) => m[1]!),
    ...[...source.matchAll(/\b(?:import|require)\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
    ...[...source.matchAll(/\bcreateRequire\([^)]*\)\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
  ];
  return specifiers.map(packageOf).filter((p): p is string => p !== null);
}

describe('runtime dependencies', () => {
  const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('declares every package src/ loads at run time in "dependencies", not only in devDependencies', () => {
    const missing = sourceFiles(path.join(ROOT, 'src')).flatMap((file) =>
      runtimePackages(readFileSync(file, 'utf8'))
        .filter((name) => !(name in dependencies))
        .map((name) => `${path.relative(ROOT, file)}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('sees the loads it checks: value imports and re-exports, import() and require(), and not type-only ones', () => {
    const source = [
      "import pino from 'pino';",
      "import type { X } from 'vitest';",
      "export type { Y } from 'typescript';",
      "export { z } from 'zod';",
      "import '@scope/side-effect/register.js';",
      "const sharp = await import('sharp');",
      "const pretty = createRequire(import.meta.url)('pino-pretty');",
      "const cp = require('node:child_process');",
    ].join('\n');
    expect(runtimePackages(source).sort()).toEqual(['@scope/side-effect', 'pino', 'pino-pretty', 'sharp', 'zod']);
  });
});
