/**
 * Canonical JSON and checksums of definitions. Uses node:crypto: not for workflow code.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/process/canonical';
import type { ProcessDefinition } from '../domain/process/types';

/** sha256 (hex) of the definition's canonical JSON: equal definitions, equal checksums. */
export function definitionChecksum(def: ProcessDefinition): string {
  return createHash('sha256').update(canonicalJson(def), 'utf8').digest('hex');
}
