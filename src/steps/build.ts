import { resolve } from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import type { Change } from '../core/changes.ts';
import { buildImage } from '../docker/build.ts';
import { ociLabels } from '../docker/image-ref.ts';
import type { BuildStep } from './kinds/build.ts';
import { commitTag, pipelineImage, registryCredentials } from './pipeline-image.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

// Where the source lives, for the OCI source label: the checkout's origin without any credentials.
async function sourceUrl(workdir: string): Promise<string | undefined> {
  const r = await execa('git', ['-C', workdir, 'remote', 'get-url', 'origin'], { reject: false });
  if (r.exitCode !== 0 || !r.stdout.trim()) return undefined;
  const url = r.stdout.trim();
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url; // scp-like `git@host:org/repo.git` carries no secret
  }
}

function describe(step: BuildStep, tag: string): Change {
  const b = step.build;
  const details = [
    `context: ${b.context}`,
    ...(b.dockerfile ? [`dockerfile: ${b.dockerfile}`] : []),
    ...(b.target ? [`target: ${b.target}`] : []),
    ...Object.keys(b.args)
      .sort()
      .map((k) => `build-arg ${k}=${b.args[k]}`),
  ];
  return { action: 'run', subject: `build ${tag}`, detail: details.join('\n') };
}

/** `build`: builds the pipeline's image once, on the runner, tagged with the commit SHA. */
export const buildHandler: StepHandler<BuildStep> = {
  async plan(ctx: StepContext, step: BuildStep): Promise<Change[]> {
    return [describe(step, `${pipelineImage(ctx)}:${commitTag(ctx)}`)];
  },
  async apply(ctx: StepContext, step: BuildStep): Promise<StepResult> {
    const tag = `${pipelineImage(ctx)}:${commitTag(ctx)}`;
    const context = resolve(ctx.workdir, step.build.context);
    const source = await sourceUrl(ctx.workdir);
    const auth = registryCredentials(ctx);
    ctx.log(`building ${tag} from ${step.build.context}`);
    const built = await buildImage(new Docker(), {
      context,
      ...(step.build.dockerfile ? { dockerfile: resolve(ctx.workdir, step.build.dockerfile) } : {}),
      tag,
      // The commit is always offered as SLIPWAY_REVISION; a Dockerfile that declares it can bake it in.
      args: { SLIPWAY_REVISION: ctx.run.sha, ...step.build.args },
      ...(step.build.target ? { target: step.build.target } : {}),
      labels: ociLabels({ revision: ctx.run.sha, ...(source ? { source } : {}) }),
      ...(auth ? { registryAuth: [auth] } : {}),
      onLine: (line) => ctx.log(line),
      signal: ctx.signal,
    });
    ctx.setOutput('image.tag', tag);
    ctx.setOutput('image.id', built.id);
    ctx.log(`built ${tag} (${built.id})`);
    return { changed: true };
  },
};
