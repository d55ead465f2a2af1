import type { PlannedJob } from '../../src/store/types.ts';

/** A drift check's plan: job caddy-dev, one caddy step changing `subjects` on web1. */
export function caddyDriftPlan(subjects: readonly string[]): PlannedJob[] {
  return [
    {
      job: 'caddy-dev',
      steps: [
        {
          step: 0,
          kind: 'caddy',
          name: 'caddy',
          changes: subjects.map((subject) => ({ host: 'web1', action: 'change', subject })),
        },
      ],
    },
  ];
}
