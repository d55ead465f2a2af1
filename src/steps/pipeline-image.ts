import { parseRepository } from '../docker/image-ref.ts';
import type { RegistryCredentials } from '../docker/push.ts';
import type { StepContext } from './types.ts';

/** The pipeline's image repository; a clear error when a build, push or deploy step has none. */
export function pipelineImage(ctx: StepContext): string {
  const image = ctx.pipeline.pipeline.image;
  if (!image)
    throw new Error(`${ctx.pipeline.file}: a build, push or deploy step needs a top-level \`image:\``);
  return image;
}

/** The tag a run builds and pushes: the commit SHA, so a tag never names two different builds. */
export function commitTag(ctx: StepContext): string {
  if (!/^[0-9a-f]{7,64}$/.test(ctx.run.sha))
    throw new Error(`run ${ctx.run.id}: not a commit SHA: ${ctx.run.sha}`);
  return ctx.run.sha;
}

/** Registry credentials from the pipeline's `registry:` block and its secret, or undefined for an open registry. */
export function registryCredentials(ctx: StepContext): RegistryCredentials | undefined {
  const reg = ctx.pipeline.pipeline.registry;
  if (!reg) return undefined;
  const { registry } = parseRepository(pipelineImage(ctx));
  return { username: reg.username, password: ctx.secret(reg.password_secret), registry };
}
