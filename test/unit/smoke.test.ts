import { TRIANGLE_ROLES } from '../../domain/process/types';

test('triangle roles', () => {
  expect(TRIANGLE_ROLES).toEqual(['AR', 'SR', 'FR']);
});
