/**
 * CodeMirror 6 editing YAML, with line numbers, undo history and error markers on their lines.
 * Tab is left to the browser (keyboard users move on with it); the editor is labelled for screen
 * readers. Remount it (React `key`) to load another text.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { yaml } from '@codemirror/lang-yaml';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, highlightActiveLine, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';

export interface LineDiagnostic {
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export function YamlEditor({
  initial,
  readOnly,
  label,
  diagnostics,
  onChange,
}: {
  initial: string;
  readOnly: boolean;
  label: string;
  diagnostics: LineDiagnostic[];
  onChange: (text: string) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  const ariaLabel = useRef(label);

  useEffect(() => {
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          history(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          yaml(),
          lintGutter(),
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel.current, 'aria-multiline': 'true' }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) changed.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
  }, [initial, readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const doc = v.state.doc;
    const marks: Diagnostic[] = diagnostics
      .filter((d) => d.line >= 1 && d.line <= doc.lines)
      .map((d) => {
        const line = doc.line(d.line);
        return { from: line.from, to: line.to, severity: d.severity, message: d.message };
      });
    v.dispatch(setDiagnostics(v.state, marks));
    // Bring the first finding into view, so its line and marker are seen.
    if (marks[0]) v.dispatch({ effects: EditorView.scrollIntoView(marks[0].from, { y: 'center' }) });
  }, [diagnostics]);

  return <div ref={host} className="yaml-editor" data-testid="yaml-editor" />;
}
