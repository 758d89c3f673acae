/**
 * What a new deal must satisfy before its workflow starts: the process version it may run on, and
 * the process's own rules for a deal (separation of duties, currencies it can judge). Each refusal
 * names the field of the `POST /deals` body.
 */
import type { Db } from '../../db/client';
import { describeConflict, separationConflicts } from '../../domain/deal/separation';
import type { Triangle } from '../../domain/deal/types';
import { currenciesJudgedBy } from '../../domain/process/currencies';
import type { ProcessVersion } from '../../domain/process/types';
import { badRequest, HttpProblem, type ProblemFieldError } from '../http/problem';
import { getLatestProcessVersion, getProcessVersion } from '../process-definitions/repo';

export interface CreateAccess {
  /** Ops may start a deal on an older version of a process; everyone else runs on the latest. */
  mayNameOlderVersion: boolean;
  /** Whether the caller may see this deal now (an idempotent replay answers only what they may see). */
  canSee(row: { arId: string; srId: string; frId: string; participantIds?: string[] }): Promise<boolean>;
}

/** The version a new deal runs on: the latest of `key`, or the named one (older ones for ops only). */
export async function processForNewDeal(
  db: Db,
  key: string,
  version: number | undefined,
  access: Pick<CreateAccess, 'mayNameOlderVersion'>,
): Promise<ProcessVersion> {
  const latest = await getLatestProcessVersion(db, key);
  const named =
    version === undefined || version === latest?.version ? latest : await getProcessVersion(db, key, version);
  if (!named) {
    throw badRequest('Unknown process', [
      {
        path: version === undefined ? 'body.process.key' : 'body.process.version',
        message: `no process definition ${key}${version === undefined ? '' : ` version ${version}`}`,
      },
    ]);
  }
  if (named !== latest && !access.mayNameOlderVersion) {
    const message = `only ops may start a deal on an older version; the latest is ${latest?.version}`;
    throw new HttpProblem(403, {
      type: 'forbidden',
      title: 'Forbidden',
      detail: `Deals start on the latest version of ${key}: ${message}`,
      errors: [{ path: 'body.process.version', message }],
    });
  }
  return named;
}

/** Why the process cannot judge a deal in `currency`, or `null` when it can. */
export function currencyProblem(proc: ProcessVersion, currency: string): string | null {
  const judged = currenciesJudgedBy(proc.definition);
  if (judged.any || judged.currencies.includes(currency)) return null;
  const name = `${proc.key} v${proc.version}`;
  if (judged.currencies.length === 0) {
    return `${name} has value thresholds that name no currency, so it cannot judge a deal's value; ops must apply a version whose thresholds name their currency`;
  }
  return `${name} judges deals in ${judged.currencies.join(', ')} only (its value thresholds name no ${currency} amount)`;
}

/** 400 naming every field of the body that breaks the process's rules for a new deal. */
export function checkNewDeal(
  input: { triangle: Triangle; value: { currency: string } },
  proc: ProcessVersion,
): void {
  const errors: ProblemFieldError[] = separationConflicts(input.triangle, proc.definition).map((c) => ({
    path: `body.triangle.${c.role}`,
    message: describeConflict(c),
  }));
  const currency = currencyProblem(proc, input.value.currency);
  if (currency) errors.push({ path: 'body.value.currency', message: currency });
  if (errors.length > 0) throw badRequest('The deal does not meet the rules of its process', errors);
}
