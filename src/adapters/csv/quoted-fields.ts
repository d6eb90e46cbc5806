/**
 * The fields of a one-line record holding quotes, when it is written the plain way:
 * each field either unquoted (no quote in it) or quoted whole (a doubled quote inside
 * standing for one), nothing but the delimiter after a closing quote. Such a record reads
 * the same under csv-parse's rules; anything else (a line end in it, a blank before an
 * opening or after a closing quote, a stray quote, a blank other than space or tab
 * starting a trimmed field) is undefined, for csv-parse to read and, if need be, to
 * explain. An SDOSS init file quotes its URLs: this spares csv-parse's set-up per record.
 */
export function plainQuotedFields(text: string, delimiter: string, quote: string, trim: boolean): string[] | undefined {
  if (delimiter.length !== 1 || quote.length !== 1 || text.includes('\n') || text.includes('\r')) return undefined;
  const fields: string[] = [];
  const n = text.length;
  let at = 0;
  for (;;) {
    if (text[at] === quote) {
      let value = '';
      let from = at + 1;
      for (;;) {
        const close = text.indexOf(quote, from);
        if (close < 0) return undefined;
        value += text.slice(from, close);
        if (text[close + 1] !== quote) {
          at = close + 1;
          break;
        }
        value += quote;
        from = close + 2;
      }
      fields.push(value);
      if (at === n) return fields;
      if (text[at] !== delimiter) return undefined;
      at++;
      continue;
    }
    const next = text.indexOf(delimiter, at);
    const end = next < 0 ? n : next;
    let value = text.slice(at, end);
    if (value.includes(quote)) return undefined;
    if (trim) {
      value = value.replace(LEADING_BLANKS, '');
      // csv-parse and String#trim agree on spaces and tabs; other blanks are left to csv-parse.
      if (value.length > 0 && value.trimStart() !== value) return undefined;
      value = value.trimEnd();
    }
    fields.push(value);
    if (next < 0) return fields;
    at = next + 1;
  }
}

const LEADING_BLANKS = /^[ \t]+/;
