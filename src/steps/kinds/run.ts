import { z } from 'zod';
import { repoPath } from '../../config/schema/common.ts';
import { shellQuote } from '../../remote/shell-quote.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const options = z.strictObject({
  command: z.array(z.string()).min(1),
  cwd: repoPath.optional(),
  env: z.record(z.string(), z.string()).default({}),
});

/** `run`: a local command on the runner, argv only (no shell), in its own process group. */
export const runKind = defineStepKind({
  key: 'run',
  summary: 'A local command on the runner: argv only, never a shell string',
  options,
  hosts: 'runner',
  files: (o) => ({ cwd: o.cwd }),
  describe: (o) => shellQuote(o.command),
  driftCheck: false,
  handler: () => import('../run.ts').then((m) => m.runHandler),
});
export type RunStep = StepOf<'run', typeof options>;
