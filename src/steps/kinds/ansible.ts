import { z } from 'zod';
import { name, repoPath } from '../../config/schema/common.ts';
import { defineStepKind, type StepOf } from '../kind.ts';

const extraVar = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected a variable name like app_port' })
  // Extra vars win over every other source: connection settings here would override the inventory's.
  .refine((v) => !v.startsWith('ansible_'), {
    message: 'ansible_* variables (connection settings) belong in the inventory, not in extra_vars',
  });

const tag = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]+$/, { message: 'expected a tag of letters, digits, "_", "-", "." or ":"' });

const options = z
  .strictObject({
    playbook: repoPath.optional().describe('Playbook in the repository (give playbook or role)'),
    role: repoPath
      .optional()
      .describe('Role directory in the repository, run alone in a play on the hosts (give playbook or role)'),
    hosts: name.default('all').describe('Inventory group (or host) the run is limited to (--limit)'),
    extra_vars: z
      .record(extraVar, z.json())
      .default({})
      .describe('Variables for --extra-vars; plain values, never secrets (use Ansible Vault for those)'),
    tags: z.array(tag).default([]).describe('Run only the tasks with these tags (--tags)'),
  })
  .superRefine((o, ctx) => {
    if (o.playbook !== undefined && o.role !== undefined)
      ctx.addIssue({ code: 'custom', path: ['role'], message: 'give either playbook or role, not both' });
    if (o.playbook === undefined && o.role === undefined)
      ctx.addIssue({ code: 'custom', message: 'add playbook: FILE or role: DIRECTORY (of the repository)' });
  });

/** `ansible`: a playbook or role of the repository through the Ansible wrapper; `--check --diff` is its plan. */
export const ansibleKind = defineStepKind({
  key: 'ansible',
  summary:
    "Runs a playbook or role of the repository on the environment's hosts; its --check --diff is the plan",
  options,
  // --check --diff compares the hosts with the repository and changes nothing: a drift check may plan it.
  driftCheck: true,
  hosts: (o) => o.hosts,
  files: (o) => ({
    playbook: o.playbook === undefined ? undefined : { path: o.playbook, is: 'file' },
    role: o.role === undefined ? undefined : { path: o.role, is: 'directory' },
  }),
  describe: (o) => {
    const what = o.playbook ?? `role ${o.role}`;
    const tags = o.tags.length ? `, tags ${o.tags.join(',')}` : '';
    const vars = Object.keys(o.extra_vars);
    return `${what}${tags}${vars.length ? `, extra vars ${vars.join(', ')}` : ''}`;
  },
  handler: () => import('../ansible.ts').then((m) => m.ansibleHandler),
});
export type AnsibleStep = StepOf<'ansible', typeof options>;
