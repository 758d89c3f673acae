/** Side-by-side diff of the latest stored version (left) and the editor's text (right). */
import { yaml } from '@codemirror/lang-yaml';
import { MergeView } from '@codemirror/merge';
import { EditorState } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';

export function YamlDiff({ latest, current }: { latest: string; current: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const readOnly = [lineNumbers(), yaml(), EditorState.readOnly.of(true), EditorView.editable.of(false)];
    const view = new MergeView({
      parent: host.current!,
      a: { doc: latest, extensions: readOnly },
      b: { doc: current, extensions: readOnly },
      collapseUnchanged: { margin: 3, minSize: 6 },
    });
    return () => view.destroy();
  }, [latest, current]);
  return <div ref={host} className="yaml-editor diff-view" data-testid="yaml-diff" />;
}
