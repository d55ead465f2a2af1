import type { PipelineFile } from '../config/types.ts';
import { unresolvedSecrets } from '../engine/secrets.ts';
import { DirtyTreeError, requireCleanTree } from './clean-tree.ts';
import { CliError } from './errors.ts';
import { ExitCode } from './exit-codes.ts';

/**
 * What the CLI checks before it queues a run (`run`, `rerun`): the working tree is the commit it records,
 * and this process can resolve the secrets of the jobs it runs. Detached, unresolved secrets only warn:
 * the process that continues the run (serve, or approve/resume here) may have them.
 */
export async function refuseUnready(
  root: string,
  pipeline: PipelineFile,
  jobs: readonly string[],
  detach: boolean | undefined,
): Promise<void> {
  try {
    await requireCleanTree(root, pipeline.pipeline, 'this run');
  } catch (err) {
    if (!(err instanceof DirtyTreeError)) throw err;
    throw new CliError(`refused: ${err.message}`);
  }
  const unresolved = unresolvedSecrets(pipeline.pipeline, jobs);
  if (unresolved.length === 0) return;
  const list = `secrets this process cannot resolve:\n${unresolved.map((p) => `  ${p}`).join('\n')}`;
  if (!detach) throw new CliError(`refused: ${list}`, ExitCode.InvalidConfig);
  process.stderr.write(
    `slipway: warning: ${list}\nthe process that continues the run (serve, or approve/resume here) must resolve them\n`,
  );
}
