/**
 * A stored definition as YAML for the editor, with its fields in the order people write them
 * (key, name, gate, approvers, rule, when, sla, weights, onReject) rather than the stored order.
 */
import { stringify } from 'yaml';

const ORDER: Record<string, string[]> = {
  root: ['key', 'name', 'stages'],
  stage: ['key', 'name', 'gate', 'approvers', 'rule', 'when', 'sla', 'weights', 'onReject'],
  sla: ['within', 'remind', 'escalate'],
  level: ['after', 'notify', 'action'],
  name: ['en', 'zh'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function ordered(o: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  for (const k of Object.keys(o)) if (!(k in out)) out[k] = o[k];
  return out;
}

export function definitionToYaml(definition: unknown): string {
  if (!isObj(definition)) return stringify(definition);
  const stages = Array.isArray(definition.stages) ? definition.stages : [];
  const root = ordered(
    {
      ...definition,
      ...(isObj(definition.name) ? { name: ordered(definition.name, ORDER.name) } : {}),
      stages: stages.map((s) => {
        if (!isObj(s)) return s;
        const sla = isObj(s.sla)
          ? ordered(
              {
                ...s.sla,
                ...(Array.isArray(s.sla.escalate)
                  ? { escalate: s.sla.escalate.map((l) => (isObj(l) ? ordered(l, ORDER.level) : l)) }
                  : {}),
              },
              ORDER.sla,
            )
          : s.sla;
        return ordered(
          { ...s, ...(isObj(s.name) ? { name: ordered(s.name, ORDER.name) } : {}), sla },
          ORDER.stage,
        );
      }),
    },
    ORDER.root,
  );
  return stringify(root);
}
