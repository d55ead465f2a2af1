// `slipway serve` refuses to start, as a usage error, when slipway.yml registers apps and --repository is
// missing: without it a push of any unregistered repository would be taken as the ops repository's.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../../src/cli/exit-codes.ts';
import { opsFiles } from '../../../support/app-repos.ts';
import { createGitOrigin, type GitOrigin } from '../../../support/git-origin.ts';
import { slipway } from '../../../support/slipway-cli.ts';

let ops: GitOrigin | undefined;
let dir: string | undefined;
afterEach(async () => {
  await ops?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
  ops = dir = undefined;
});

/** A clone of an ops repository that registers the app notes; `dir` holds it. */
async function opsCheckout(): Promise<string> {
  ops = await createGitOrigin();
  await ops.commit(opsFiles('/srv/git/notes.git'));
  dir = await mkdtemp(join(tmpdir(), 'slipway-serve-apps-'));
  const checkout = join(dir, 'ops');
  await execa('git', ['clone', '--quiet', ops.url, checkout]);
  return checkout;
}

describe('slipway serve with apps registered', () => {
  it('refuses to start without --repository, saying what to pass, with the usage-error exit code', async () => {
    const checkout = await opsCheckout();
    const r = await slipway(['-C', checkout, 'serve', '--listen', '127.0.0.1:0'], {
      SLIPWAY_STATE: join(dir!, 'state.db'),
    });
    expect(r.stderr).toBe(
      'slipway: --repository owner/name is needed when slipway.yml registers apps: notes ' +
        "(it tells the ops repository's pushes from those of other repositories)",
    );
    expect(r.code).toBe(ExitCode.InvalidConfig);
  });

  it("refuses the ops webhook secret as the app repositories' secret", async () => {
    const checkout = await opsCheckout();
    const args = ['-C', checkout, 'serve', '--listen', '127.0.0.1:0', '--repository', 'acme/ops'];
    const r = await slipway(args, {
      SLIPWAY_STATE: join(dir!, 'state.db'),
      SLIPWAY_WEBHOOK_SECRET: 'one-secret',
      SLIPWAY_APP_WEBHOOK_SECRET: 'one-secret',
    });
    expect(r.stderr).toContain(
      'SLIPWAY_APP_WEBHOOK_SECRET: expected a secret of its own, got the ops webhook secret',
    );
    expect(r.code).not.toBe(0);
  });
});
