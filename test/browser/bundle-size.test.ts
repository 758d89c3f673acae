/**
 * The first load stays within budget: gzipped JavaScript of the shell plus the landing screen, from
 * the build the browser tests use (scripts/web-build.ts measures it from Vite's manifest).
 */
import { FIRST_LOAD_BUDGET_KB, formatBundleSize, measureBundle } from '../../scripts/web-build';

test(`first-load JavaScript is at most ${FIRST_LOAD_BUDGET_KB} KB gzipped, for managers and for members`, () => {
  const size = measureBundle();
  console.log(`${formatBundleSize(size)}; lazy screens (KB gzipped): ${JSON.stringify(size.lazyKb)}`);
  expect(size.firstLoadKb.managers).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_KB);
  expect(size.firstLoadKb.members).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_KB);
  // The editor and the charts are not part of it.
  expect(size.lazyKb['app/routes/app/processes.tsx']).toBeGreaterThan(50);
  expect(size.lazyKb['features/reports/components/charts.tsx']).toBeGreaterThan(50);
});
