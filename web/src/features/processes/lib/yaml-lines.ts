/**
 * Where a validation error's path (`stages[3].sla.remind[0]`) is in the YAML text, as a 1-based
 * line, so the editor can mark the error on its line. A path that is not in the text (a missing
 * field) is placed on its nearest existing parent.
 */
import { isNode, LineCounter, parseDocument } from 'yaml';

export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(`"${m[3]}"`));
    else out.push(m[1]);
  }
  return out;
}

export function lineOfPath(text: string, path: string): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const segments = pathSegments(path);
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) {
      // For a key's value, point at the line of the key (the value of a block map starts below it).
      const parent = n > 0 ? doc.getIn(segments.slice(0, n - 1), true) : undefined;
      const key = segments[n - 1];
      let offset = node.range[0];
      if (parent && typeof parent === 'object' && 'items' in parent && typeof key === 'string') {
        const pair = (parent.items as { key?: { range?: number[]; value?: unknown } }[]).find(
          (p) => isNode(p.key) && (p.key as { value?: unknown }).value === key,
        );
        if (pair?.key?.range) offset = pair.key.range[0];
      }
      return lineCounter.linePos(offset).line;
    }
  }
  return undefined;
}
