import { describe, expect, it } from 'vitest';
import { copyFieldToLiteral, InlineRows } from '../../../src/stages/ingest/table/inline-rows.js';

describe('InlineRows', () => {
  it('turns COPY text fields into SQL literals that mean the same', () => {
    expect(copyFieldToLiteral('\\N')).toBe('NULL');
    expect(copyFieldToLiteral('plain')).toBe("E'plain'");
    expect(copyFieldToLiteral("O'Brien")).toBe("E'O''Brien'");
    // COPY escapes (\\ \t \n \r) become the characters; a backslash is then doubled for E''.
    expect(copyFieldToLiteral('a\\\\b\\tc\\nd\\re')).toBe("E'a\\\\b\tc\nd\re'");
    expect(copyFieldToLiteral('$1 and $2')).toBe("E'$1 and $2'");
  });

  it('builds one multi-row INSERT from the rows written', async () => {
    const rows = new InlineRows();
    await rows.write('1\tx\t7\n');
    await rows.write('2\t\\N\t7\n');
    expect(await rows.finish()).toBe(2);
    expect(rows.insertSql('"hfc"."t"', ['id', 'name', 'ingested_file_id'])).toBe(
      `INSERT INTO "hfc"."t" ("id", "name", "ingested_file_id") VALUES (E'1', E'x', E'7'),\n(E'2', NULL, E'7')`,
    );
    expect(new InlineRows().insertSql('t', ['id'])).toBeNull();
  });
});
