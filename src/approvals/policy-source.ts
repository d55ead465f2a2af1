import type { TrustedPolicy } from './trusted-policy.ts';

/** Where the policy in force comes from; asked at each run start, each job and each decision. */
export interface PolicySource {
  current(signal?: AbortSignal): Promise<TrustedPolicy>;
}

/** The default branch's policy now, and at an earlier commit of it (the one in force, to compare with). */
export interface PolicyTrees extends PolicySource {
  at(ref: string, sha: string, signal?: AbortSignal): Promise<TrustedPolicy>;
}

/** The policy ref could not be found or its files are invalid: nothing may be decided or run. */
export class PolicyError extends Error {}
