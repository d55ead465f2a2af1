import type { PlannedJob } from '../../src/store/types.ts';

/** A drift check's plan: one caddy step of `job` doing `action` to `subjects` on web1. */
export function caddyDriftPlan(
  subjects: readonly string[],
  job = 'caddy-dev',
  action: 'change' | 'remove' = 'change',
): PlannedJob[] {
  return [
    {
      job,
      steps: [
        {
          step: 0,
          kind: 'caddy',
          name: 'caddy',
          changes: subjects.map((subject) => ({ host: 'web1', action, subject })),
        },
      ],
    },
  ];
}
