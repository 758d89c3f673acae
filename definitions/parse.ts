/**
 * Text → plain value, for process definitions written as YAML or JSON. Pure (no I/O): the CLI
 * reads files, the API reads request bodies.
 */
import { Lexer, parseAllDocuments } from 'yaml';
import type { ValidationIssue } from '../domain/process/types';

export type DefinitionFormat = 'yaml' | 'json' | 'auto';

export type ParseResult = { ok: true; value: unknown } | { ok: false; errors: ValidationIssue[] };

/** `auto`: JSON when the text starts with `{` or `[` (after whitespace and a BOM), else YAML. */
export function detectFormat(text: string): 'yaml' | 'json' {
  return /^\uFEFF?\s*[{[]/.test(text) ? 'json' : 'yaml';
}

/**
 * Parses `text` as YAML 1.2 (core schema) or JSON. With the core schema `0s`, `2d`, `1d`, `yes`
 * and `on` stay strings; only true/false, null, ~ and numbers are typed.
 */
export function parseDefinitionText(text: string, format: DefinitionFormat): ParseResult {
  const actual = format === 'auto' ? detectFormat(text) : format;
  if (text.trim() === '' || text.replace(/^\uFEFF/, '').trim() === '') {
    return { ok: false, errors: [{ path: '', message: 'the document is empty' }] };
  }
  return actual === 'json' ? parseJson(text) : parseYaml(text);
}

function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: `invalid JSON: ${(e as Error).message}` }] };
  }
}

/** Deeper flow collections (`[[[…]]]`) than any definition needs; the YAML parser recurses on them. */
export const MAX_YAML_FLOW_NESTING = 64;

/**
 * Whether `[` / `{` flow collections nest deeper than `max`. The lexer is iterative and knows
 * quoted scalars, so this is exact and stops at the first level too deep: a hostile body of
 * nested brackets costs microseconds here instead of exhausting the parser's stack and memory.
 */
function flowNestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > max) return true;
    } else if (token === ']' || token === '}') depth--;
  }
  return false;
}

function parseYaml(text: string): ParseResult {
  if (flowNestingExceeds(text, MAX_YAML_FLOW_NESTING)) {
    return {
      ok: false,
      errors: [{ path: '', message: `invalid YAML: nested deeper than ${MAX_YAML_FLOW_NESTING} levels` }],
    };
  }
  const docs = parseAllDocuments(text, {
    version: '1.2',
    schema: 'core',
    prettyErrors: true,
    uniqueKeys: true,
  });
  // parseAllDocuments returns an EmptyStream (an array with `empty: true`) for comment-only text.
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length === 0) return { ok: false, errors: [{ path: '', message: 'the document is empty' }] };
  const errors: ValidationIssue[] = [];
  for (const doc of list) {
    for (const problem of doc.errors)
      errors.push({ path: '', message: `invalid YAML: ${oneLine(problem.message)}` });
  }
  if (list.length > 1) {
    errors.push({
      path: '',
      message: `expected one YAML document, found ${list.length} (remove the extra ---)`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  try {
    const value = list[0].toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) {
      return { ok: false, errors: [{ path: '', message: 'the document is empty' }] };
    }
    return { ok: true, value };
  } catch (e) {
    return { ok: false, errors: [{ path: '', message: `invalid YAML: ${oneLine((e as Error).message)}` }] };
  }
}

/** yaml's pretty errors append a source excerpt on extra lines; keep the first line. */
function oneLine(message: string): string {
  return message.split('\n')[0].trim();
}
