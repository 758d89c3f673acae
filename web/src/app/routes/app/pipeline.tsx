import { useSearchParams } from 'react-router';
import { Pipeline } from '@/features/deals/components/pipeline';
import { filtersFromParams, filtersToParams } from '@/features/deals/lib/filters';

export function PipelineRoute() {
  const [params, setParams] = useSearchParams();
  return <Pipeline filters={filtersFromParams(params)} onChange={(f) => setParams(filtersToParams(f))} />;
}
