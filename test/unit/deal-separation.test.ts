import { describeConflict, mayHoldBoth, separationConflicts } from '../../domain/deal/separation';
import type { SeparationOfDuties } from '../../domain/process/types';

const strict = {};
const srFr: { separationOfDuties: SeparationOfDuties } = {
  separationOfDuties: { allowSamePerson: [['SR', 'FR']] },
};

describe('separationConflicts', () => {
  test('three different people: no conflict, whatever the definition', () => {
    expect(separationConflicts({ AR: 'a', SR: 's', FR: 'f' }, strict)).toEqual([]);
    expect(separationConflicts({ AR: 'a', SR: 's', FR: 'f' }, srFr)).toEqual([]);
  });

  test('by default one person in two roles conflicts, reported on the later role', () => {
    expect(separationConflicts({ AR: 'a', SR: 'a', FR: 'f' }, strict)).toEqual([
      { role: 'SR', sameAs: 'AR', userId: 'a' },
    ]);
    expect(separationConflicts({ AR: 'a', SR: 's', FR: 's' }, strict)).toEqual([
      { role: 'FR', sameAs: 'SR', userId: 's' },
    ]);
  });

  test('one person in all three roles: every pair, in AR, SR, FR order', () => {
    expect(separationConflicts({ AR: 'me', SR: 'me', FR: 'me' }, strict)).toEqual([
      { role: 'SR', sameAs: 'AR', userId: 'me' },
      { role: 'FR', sameAs: 'AR', userId: 'me' },
      { role: 'FR', sameAs: 'SR', userId: 'me' },
    ]);
  });

  test('an allowed pair (in either order) is no conflict; the other pairs still are', () => {
    expect(separationConflicts({ AR: 'a', SR: 's', FR: 's' }, srFr)).toEqual([]);
    const reversed = {
      separationOfDuties: { allowSamePerson: [['FR', 'SR']] as SeparationOfDuties['allowSamePerson'] },
    };
    expect(separationConflicts({ AR: 'a', SR: 's', FR: 's' }, reversed)).toEqual([]);
    expect(separationConflicts({ AR: 'me', SR: 'me', FR: 'me' }, srFr)).toEqual([
      { role: 'SR', sameAs: 'AR', userId: 'me' },
      { role: 'FR', sameAs: 'AR', userId: 'me' },
    ]);
  });

  test('mayHoldBoth and the message name both roles', () => {
    expect(mayHoldBoth(srFr, 'FR', 'SR')).toBe(true);
    expect(mayHoldBoth(srFr, 'AR', 'SR')).toBe(false);
    expect(describeConflict({ role: 'SR', sameAs: 'AR', userId: 'me' })).toBe(
      'me already holds AR; this process needs different people as AR and SR',
    );
  });
});
