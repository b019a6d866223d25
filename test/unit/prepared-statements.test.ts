/** The statement names behind server-side prepared statements (src/persistence/prepared-statements.ts). */
import { describe, expect, it } from 'vitest';
import { statementNames } from '../../src/persistence/prepared-statements.ts';

describe('statementNames', () => {
  it('gives one text one name, and different texts different names', () => {
    const names = statementNames();
    const a = names.nameOf('select 1 where x = $1', 1);
    expect(a).toBeDefined();
    expect(names.nameOf('select 1 where x = $1', 1)).toBe(a);
    expect(names.nameOf('select 2 where x = $1', 1)).not.toBe(a);
  });

  it('leaves texts with many parameters unnamed (multi-row inserts, in-lists vary with the data)', () => {
    const names = statementNames(10, 3);
    expect(names.nameOf('insert into t values ($1), ($2), ($3), ($4)', 4)).toBeUndefined();
    expect(names.size).toBe(0);
  });

  it('names at most `max` texts; later ones go unnamed', () => {
    const names = statementNames(2);
    expect(names.nameOf('a', 0)).toBeDefined();
    expect(names.nameOf('b', 0)).toBeDefined();
    expect(names.nameOf('c', 0)).toBeUndefined();
    expect(names.nameOf('a', 0)).toBeDefined();
  });

  it('renews every name after a stale plan, so each statement is prepared afresh', () => {
    const names = statementNames();
    const before = names.nameOf('select * from payments where id = $1', 1);
    names.renew();
    const after = names.nameOf('select * from payments where id = $1', 1);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
  });
});
