import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInventorySync } from '../../../src/config/inventory/resolve.ts';
import { access as accessSchema } from '../../../src/config/schema/access.ts';
import { sshKeysKind } from '../../../src/steps/kinds/ssh-keys.ts';
import { sshKeysHandler } from '../../../src/steps/ssh-keys.ts';
import { stepContext } from '../../support/step-context.ts';

// roles/ssh_keys in check mode (it changes nothing) on the runner itself, beside a host that refuses SSH.
describe('ssh-keys plan with an unreachable host', () => {
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-ssh-keys-step-'));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(root, 'runner')]);
    writeFileSync(join(root, 'known_hosts'), '');
    writeFileSync(
      join(root, 'hosts'),
      // The runner's own record of managed accounts stays out of it: this host keeps its record here.
      `[web]\nhere ansible_connection=local ssh_keys_record=${join(root, 'accounts.json')}\n` +
        'gone ansible_host=127.0.0.1 ansible_port=1 ansible_user=deploy ansible_ssh_private_key_file=runner slipway_known_hosts=known_hosts\n',
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("plans the hosts that answered and marks the other unreachable, with ssh's reason", async () => {
    const inventory = resolveInventorySync(join(root, 'hosts'), 'dev', { displayRoot: root });
    const { ctx } = stepContext({
      workdir: root,
      sha: 'a'.repeat(40),
      pipeline: { name: 'infra', jobs: { k: { environment: 'dev', steps: [{ 'ssh-keys': {} }] } } },
      inventory,
      repo: {
        root,
        accessFiles: new Map([
          ['infra/access.yml', accessSchema.parse({ users: { 'slipway-plan-only': { keys: [] } } })],
        ]),
      },
    });
    const plan = await sshKeysHandler.plan(ctx, sshKeysKind.schema.parse({ 'ssh-keys': {} }));
    expect(plan.filter((c) => c.host === 'here').map((c) => `${c.action} ${c.subject}`)).toEqual([
      'add user slipway-plan-only',
    ]);
    const gone = plan.filter((c) => c.host === 'gone');
    expect(gone).toHaveLength(1);
    // ssh's own words: a refused connection, or on a loaded machine the pipe it broke while being refused.
    expect(gone[0]!.subject).toMatch(
      /^not planned: gone \(unreachable: .*(Connection refused|Broken pipe|Connection reset)/,
    );
  }, 120_000);
});
