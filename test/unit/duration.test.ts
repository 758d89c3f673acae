import { formatDuration, parseDuration } from '../../domain/duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  test.each([
    ['0s', 0],
    ['30s', 30 * S],
    ['15m', 15 * M],
    ['4h', 4 * H],
    ['3d', 3 * D],
    ['2w', 14 * D],
    ['45d', 45 * D],
    ['PT4H', 4 * H],
    ['P3D', 3 * D],
    ['P1DT2H', D + 2 * H],
    ['PT30S', 30 * S],
    ['PT1H30M', H + 30 * M],
    ['P1DT2H3M4S', D + 2 * H + 3 * M + 4 * S],
    ['P2W', 14 * D],
    ['P0D', 0],
    ['PT0S', 0],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    '',
    ' ',
    '-1d',
    '1',
    'd',
    '1x',
    '1y',
    '1M',
    '1.5h',
    '1d2h',
    ' 1d',
    '1d ',
    '1 d',
    'P',
    'PT',
    'P1DT',
    'P1W2D',
    'PT1D',
    'P1H',
    'p3d',
    'PT1.5S',
    'P1Y',
    'garbage',
    '99999999999999999999d',
  ])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });

  test('rejects non-strings at runtime', () => {
    expect(parseDuration(5 as unknown as string)).toBeNull();
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [30 * S, '30s'],
    [45 * M, '45m'],
    [2 * D + 3 * H, '2d 3h'],
    [H + 30 * M + 5 * S, '1h 30m 5s'],
    [14 * D, '14d'],
    [1500, '1s 500ms'],
    [-2 * H, '-2h'],
  ])('%d ms = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('round-trips through parseDuration for single units', () => {
    for (const text of ['30s', '15m', '4h', '3d']) expect(formatDuration(parseDuration(text)!)).toBe(text);
  });
});
