/**
 * Text from outside nocturne (a task's log, file names, SLURM's answers) as PostgreSQL
 * can store it. text and jsonb cannot hold a NUL character, and pg-promise inlines values
 * into the query string, which a NUL cuts short: the server then refuses the whole
 * statement (08P01), and whatever it recorded (how a night's tasks ended) is never
 * recorded. A NUL is shown as `\0`; bytes that were not UTF-8 were already replaced (U+FFFD)
 * when the text was decoded.
 */
export function storableText(text: string): string {
  return text.replaceAll('\0', '\\0');
}

/** storableText, with null kept. */
export function storableOrNull(text: string | null): string | null {
  return text === null ? null : storableText(text);
}
