/** Loaded on demand, with its charts in a chunk of their own. */
import { ReportsView } from '@/features/reports/components/reports-view';

export function ReportsRoute() {
  return <ReportsView />;
}
