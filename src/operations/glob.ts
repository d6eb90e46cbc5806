import { NocturneError } from '../core/errors.js';

/**
 * A shell glob (`*`, `?`, `[...]`, `[!...]`) as an anchored POSIX regular expression, for
 * PostgreSQL's `~`: `sdoss_2014022*` → `^sdoss_2014022.*$`. Everything else is literal,
 * inside brackets too but for ranges (`a-z`). A glob that says nothing sensible (a range
 * backwards, a character class) is a problem named before anything is asked of the
 * database, which would only answer "invalid regular expression".
 */
export function compileGlob(glob: string): { regex: string } | { problem: string } {
  let out = '^';
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const negated = glob[i + 1] === '!';
      const start = negated ? i + 2 : i + 1;
      // A ']' first in the brackets is one of its characters, as in the shell.
      const end = glob.indexOf(']', start + 1);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      const set = bracket(glob.slice(start, end));
      if ('problem' in set) return { problem: `glob ${JSON.stringify(glob)}: ${set.problem}` };
      out += `[${negated ? '^' : ''}${set.regex}]`;
      i = end;
    } else out += /[\\^$.|+(){}]/.test(c) ? `\\${c}` : c;
  }
  return { regex: `${out}$` };
}

/** The regular expression of a glob the caller checked with compileGlob. */
export function globToRegex(glob: string): string {
  const compiled = compileGlob(glob);
  if ('problem' in compiled) throw new NocturneError('INTERNAL', compiled.problem);
  return compiled.regex;
}

/** The inside of `[...]`: characters and ranges, each character escaped (AREs take `\` in brackets). */
function bracket(body: string): { regex: string } | { problem: string } {
  if (body.includes('[:')) {
    return { problem: `character classes such as [:alpha:] are not supported: list the characters or a range (a-z)` };
  }
  const escape = (c: string) => (/[\\\][^-]/.test(c) ? `\\${c}` : c);
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const from = body[i]!;
    const to = body[i + 2];
    if (body[i + 1] === '-' && to !== undefined) {
      if (from > to) return { problem: `the range [${from}-${to}] is backwards: write [${to}-${from}]` };
      out += `${escape(from)}-${escape(to)}`;
      i += 2;
    } else out += escape(from);
  }
  return { regex: out };
}
