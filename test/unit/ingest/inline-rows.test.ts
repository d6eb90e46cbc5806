import { describe, expect, it } from 'vitest';
import { copyFieldToLiteral, InlineRows, RowArena } from '../../../src/stages/ingest/table/inline-rows.js';

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
    const rows = new InlineRows(new RowArena());
    await rows.write('1\tx\t7\n');
    await rows.write('2\t\\N\t7\n');
    expect(await rows.finish()).toBe(2);
    expect(rows.insertSql('"hfc"."t"', ['id', 'name', 'ingested_file_id'])).toBe(
      `INSERT INTO "hfc"."t" ("id", "name", "ingested_file_id") VALUES (E'1', E'x', E'7'),\n(E'2', NULL, E'7')`,
    );
    expect(new InlineRows(new RowArena()).insertSql('t', ['id'])).toBeNull();
  });

  it('keeps the files of a batch one after another in one arena, and a refused one leaves nothing of its rows', async () => {
    const arena = new RowArena(8);
    const first = new InlineRows(arena);
    await first.write('1\tée\t7\n');
    const refused = new InlineRows(arena);
    await refused.write('2\tx\t8\n3\ty\t8\n');
    await refused.abort();
    expect(await refused.finish()).toBe(0);
    const third = new InlineRows(arena);
    await third.write(`4\t${'z'.repeat(100)}\t9\n`);
    // It grew past its 8 bytes, and kept what was written before.
    expect(arena.capacity).toBeGreaterThan(8);
    expect(arena.bytes(0).toString('utf8')).toBe(`1\tée\t7\n4\t${'z'.repeat(100)}\t9\n`);
    expect([await first.finish(), await third.finish()]).toEqual([1, 1]);
    expect(first.insertSql('t', ['a', 'b', 'c'])).toBe(`INSERT INTO t ("a", "b", "c") VALUES (E'1', E'ée', E'7')`);
  });

  it('refuses rows, or their withdrawal, of a file once another file has written to the arena after it', async () => {
    const arena = new RowArena();
    const first = new InlineRows(arena);
    await first.write('1\n');
    await new InlineRows(arena).write('2\n');
    await expect(first.write('3\n')).rejects.toThrow('rows of two files written to one arena at once');
    // Nor may it take its rows back: the other file's would go with them.
    await expect(first.abort()).rejects.toThrow('rows of two files written to one arena at once');
    expect(arena.bytes(0).toString()).toBe('1\n2\n');
  });
});
