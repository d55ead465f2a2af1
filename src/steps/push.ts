import Docker from 'dockerode';
import type { Change } from '../core/changes.ts';
import { digestReference, parseRepository } from '../docker/image-ref.ts';
import { pushImage } from '../docker/push.ts';
import { RegistryClient, registryEndpoint } from '../docker/registry-client.ts';
import type { PushStep } from './kinds/push.ts';
import { commitTag, pipelineImage, registryCredentials } from './pipeline-image.ts';
import type { StepContext, StepHandler, StepResult } from './types.ts';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function extraTags(step: PushStep): string[] {
  for (const t of step.push.tags) if (!TAG.test(t)) throw new Error(`push: invalid tag ${JSON.stringify(t)}`);
  return step.push.tags;
}

/** `push`: pushes the built image with the pipeline's registry credentials and records its digest. */
export const pushHandler: StepHandler<PushStep> = {
  async plan(ctx: StepContext, step: PushStep): Promise<Change[]> {
    const image = pipelineImage(ctx);
    return [commitTag(ctx), ...extraTags(step)].map((tag) => ({
      action: 'run',
      subject: `push ${image}:${tag}`,
    }));
  },
  async apply(ctx: StepContext, step: PushStep): Promise<StepResult> {
    const docker = new Docker();
    const repository = pipelineImage(ctx);
    const sha = commitTag(ctx);
    const auth = registryCredentials(ctx);
    const onLine = (line: string) => ctx.log(line);
    const digest = await pushImage(docker, { repository, tag: sha, auth, onLine, signal: ctx.signal });
    // Extra tags are for people browsing the registry; deploys only ever use the digest.
    for (const tag of extraTags(step)) {
      await docker.getImage(`${repository}:${sha}`).tag({ repo: repository, tag });
      const d = await pushImage(docker, { repository, tag, auth, onLine, signal: ctx.signal });
      if (d !== digest) throw new Error(`push: ${repository}:${tag} got digest ${d}, expected ${digest}`);
    }
    // Read it back: a digest the registry cannot serve must fail here, not on the first host.
    const { registry, path } = parseRepository(repository);
    const client = new RegistryClient({
      ...(await registryEndpoint(docker, registry)),
      ...(auth ? { auth } : {}),
      signal: ctx.signal,
    });
    try {
      if ((await client.manifestDigest(path, digest)) !== digest) {
        throw new Error(`push: the registry does not serve ${repository}@${digest} after the push`);
      }
    } finally {
      await client.close();
    }
    ctx.setOutput('image.digest', digest);
    ctx.setOutput('image.ref', digestReference(repository, digest));
    ctx.log(`pushed ${digestReference(repository, digest)}`);
    return { changed: true };
  },
};
