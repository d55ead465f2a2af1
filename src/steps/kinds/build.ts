import { z } from 'zod';
import { repoPath } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({
  context: repoPath.default('.'),
  dockerfile: repoPath.optional(),
  args: z.record(z.string(), z.string()).default({}),
  target: z.string().optional(),
});

/** `build`: the pipeline's image, built once from a context in the repository. */
export const buildKind = defineStepKind({
  key: 'build',
  summary: "Builds the pipeline's image once from a context in the repository",
  options,
  hosts: 'runner',
  files: (o) => ({ context: o.context, dockerfile: o.dockerfile }),
  describe: (o, { pipeline }) => `image ${pipeline.image ?? '(no image)'} from ${o.context}`,
  driftCheck: false,
  handler: () => import('../build.ts').then((m) => m.buildHandler),
});
export type BuildStep = StepOf<'build', typeof options>;
