import { createHash } from 'node:crypto';
import type { PlannedStep } from '../store/types.ts';

/**
 * The hash an approval binds to: the commit and every planned change, in order; for an app repository's run
 * also the ops commit whose configuration it runs under (this app commit under this ops commit).
 */
export function planHash(sha: string, plan: readonly PlannedStep[], opsSha?: string): string {
  const bound = opsSha === undefined ? { sha, plan } : { sha, opsSha, plan };
  return createHash('sha256').update(JSON.stringify(bound)).digest('hex');
}
