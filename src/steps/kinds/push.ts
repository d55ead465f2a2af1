import { z } from 'zod';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({ tags: z.array(z.string()).default([]) });

/** `push`: the built image to the pipeline's registry, its digest recorded for the deploys. */
export const pushKind = defineStepKind({
  key: 'push',
  summary: "Pushes the built image to the pipeline's registry and records its digest",
  options,
  hosts: 'runner',
  files: () => ({}),
  describe: (_o, { pipeline }) => `${pipeline.image ?? '(no image)'} -> digest`,
  driftCheck: false,
  handler: () => import('../push.ts').then((m) => m.pushHandler),
});
export type PushStep = StepOf<'push', typeof options>;
