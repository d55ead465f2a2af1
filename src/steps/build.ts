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

/** When the commit was made (committer time), or undefined when the checkout does not hold it. */
export async function commitTime(workdir: string, sha: string): Promise<Date | undefined> {
  const r = await execa('git', ['-C', workdir, 'show', '-s', '--format=%ct', `${sha}^{commit}`], {
    reject: false,
  });
  const seconds = Number(r.stdout.trim());
  return r.exitCode === 0 && Number.isInteger(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
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
    const [source, created] = await Promise.all([
      sourceUrl(ctx.workdir),
      commitTime(ctx.workdir, ctx.run.sha),
    ]);
    const auth = registryCredentials(ctx);
    ctx.log(`building ${tag} from ${step.build.context}`);
    const built = await buildImage(new Docker(), {
      context,
      ...(step.build.dockerfile ? { dockerfile: resolve(ctx.workdir, step.build.dockerfile) } : {}),
      tag,
      // The commit is always offered as SLIPWAY_REVISION; a Dockerfile that declares it can bake it in.
      // SOURCE_DATE_EPOCH: BuildKit (and Dockerfiles that read it) date the image by the commit, not the clock.
      args: {
        SLIPWAY_REVISION: ctx.run.sha,
        ...(created ? { SOURCE_DATE_EPOCH: String(created.getTime() / 1000) } : {}),
        ...step.build.args,
      },
      ...(step.build.target ? { target: step.build.target } : {}),
      labels: ociLabels({
        revision: ctx.run.sha,
        ...(source ? { source } : {}),
        ...(created ? { created } : {}),
      }),
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
