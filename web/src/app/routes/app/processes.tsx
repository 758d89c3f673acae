/** Loaded on demand: the editor brings CodeMirror and a YAML parser. */
import { ProcessEditor } from '@/features/processes/components/process-editor';
import { isOps, useMe } from '@/lib/api/queries';

export function ProcessesRoute() {
  const me = useMe();
  return <ProcessEditor canApply={isOps(me.data)} />;
}
