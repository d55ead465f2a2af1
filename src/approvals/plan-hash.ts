import { createHash } from 'node:crypto';
import type { PlannedStep } from '../store/types.ts';

/** The hash an approval binds to: the commit and every planned change, in order. */
export function planHash(sha: string, plan: readonly PlannedStep[]): string {
  return createHash('sha256').update(JSON.stringify({ sha, plan })).digest('hex');
}
