import { describe, expect, it } from 'vitest';
import { findHostileInput, MAX_BODY_DEPTH, textProblem } from '../../src/http/hostile-input.ts';

const nest = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe('hostile input the service refuses in any text and at any depth', () => {
  it('refuses NUL and lone surrogates, and accepts every other Unicode text', () => {
    expect(textProblem('a\u0000b')).toContain('NUL');
    for (const s of ['\ud800', 'a\udbffb', '\udc00', 'x\udfff', '\udc00\ud800']) expect(textProblem(s), JSON.stringify(s)).toContain('lone surrogate');
    for (const s of ['', 'plain', '😀', '👩‍👩‍👧', '\u202egnp.exe', '\u200b\u200d\ufeff', '\u0001\u001f\u007f', '\uffff', '\u{10ffff}', '\u2028']) {
      expect(textProblem(s), JSON.stringify(s)).toBeUndefined();
    }
  });

  it('names the field as parseWire does: dotted path, array index, or body', () => {
    expect(findHostileInput({ order: { merchant: { name: 'a\u0000' } } })).toEqual({ field: 'order.merchant.name', reason: 'must not contain NUL (U+0000)' });
    expect(findHostileInput({ scopes: ['ok', '\ud800'] })?.field).toBe('scopes.1');
    expect(findHostileInput('\u0000')?.field).toBe('body');
    expect(findHostileInput({ ok: 'fine', list: [1, true, null, { a: 'b' }] })).toBeUndefined();
  });

  it('checks field names too, naming them without the refused characters and bounded', () => {
    const finding = findHostileInput({ order: { ['k\u0000'.repeat(100)]: 'v' } });
    expect(finding?.field.startsWith('order.k?k?')).toBe(true);
    expect(finding?.field.length).toBeLessThan(80);
    expect(finding?.reason).toMatch(/^field name/);
  });

  it(`accepts nesting up to ${MAX_BODY_DEPTH} levels and refuses one more, however deep it goes`, () => {
    expect(findHostileInput({ a: nest(MAX_BODY_DEPTH - 1) })).toBeUndefined();
    expect(findHostileInput({ a: nest(MAX_BODY_DEPTH) })?.reason).toBe(`nested deeper than ${MAX_BODY_DEPTH} levels`);
    // 1,000,000 levels: the walk is iterative and stops at the limit
    expect(findHostileInput(JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`))?.reason).toContain('nested deeper');
  });
});
