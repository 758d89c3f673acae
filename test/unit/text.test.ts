import { findUnstorableText, isStorableText } from '../../domain/text';

describe('isStorableText', () => {
  test.each([
    ['', true],
    ['plain ASCII', true],
    ['中文 and emoji 😀 (a surrogate pair)', true],
    ['\uD83D\uDE00', true],
    ['\uFFFD replacement char', true],
    ['nul \u0000 inside', false],
    ['\u0000', false],
    ['lone high \uD800', false],
    ['lone high at end \uDBFF', false],
    ['\uDC00 lone low at start', false],
    ['two highs \uD800\uD800\uDC00', false],
    ['reversed pair \uDE00\uD83D', false],
  ])('%j → %s', (text, ok) => {
    expect(isStorableText(text)).toBe(ok);
  });
});

describe('findUnstorableText', () => {
  test('null for storable JSON of any shape', () => {
    expect(findUnstorableText({ a: ['x', 1, null, true, { b: '😀' }], c: 2 })).toBeNull();
    expect(findUnstorableText('fine')).toBeNull();
    expect(findUnstorableText(42)).toBeNull();
  });

  test('names the path of the first offending value, in document order', () => {
    const value = { stages: [{ name: { en: 'ok', zh: 'a\u0000' } }, { key: '\uD800' }] };
    expect(findUnstorableText(value)).toEqual({ path: ['stages', 0, 'name', 'zh'], key: false });
    expect(findUnstorableText(['ok', ['ok', '\uDC00']])).toEqual({ path: [1, 1], key: false });
  });

  test('an object key is reported with the path of its property', () => {
    expect(findUnstorableText({ a: { 'b\u0000': 1 } })).toEqual({ path: ['a', 'b\u0000'], key: true });
  });

  test('a value nested deeper than the call stack allows is walked without overflow', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const found = findUnstorableText(deep);
    expect(found?.path).toHaveLength(200_000);
  });
});
