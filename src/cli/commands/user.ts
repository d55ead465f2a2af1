import type { Command } from 'commander';
import { personOf } from '../../approvals/people.ts';
import { name } from '../../config/schema/common.ts';
import { generateToken, hashToken } from '../../dashboard/auth/tokens.ts';
import { openDashboardStore } from '../../store/dashboard-store.ts';
import { storePath } from '../../store/store.ts';
import type { Users } from '../../store/users.ts';
import { CliError } from '../errors.ts';
import { policySourceFor } from '../repo-config.ts';
import type { RegisterCommand } from './index.ts';

function withUsers<T>(program: Command, fn: (users: Users) => T): T {
  const { repo } = program.opts<{ repo: string }>();
  const opened = openDashboardStore(storePath(repo));
  try {
    return fn(opened.users);
  } finally {
    opened.close();
  }
}

/** `slipway user add|list|remove`: dashboard users and their tokens (a token is printed once, stored hashed). */
export const registerUser: RegisterCommand = (program) => {
  const user = program.command('user').description('dashboard users and their sign-in tokens');
  user
    .command('add')
    .description('create a user and print their token once (only its hash is stored)')
    .argument('<login>', "a person's dashboard login (people.<person>.dashboard in slipway.yml)")
    .option('--rotate', 'the user exists: replace their token and end their sessions')
    .action(async (login: string, opts: { rotate?: boolean }, cmd: Command) => {
      if (!name.safeParse(login).success) {
        throw new CliError(`invalid login "${login}": expected letters, digits, "_", "-" or "."`);
      }
      // A sign-in is only ever made for a person's own dashboard login: no other name can approve through it.
      const policy = await policySourceFor(cmd).current();
      const person = personOf(policy.project.people, { channel: 'dashboard', login });
      if (!person) {
        throw new CliError(
          `${login} is no person's dashboard login in slipway.yml on ${policy.ref} ` +
            `(${policy.sha.slice(0, 12)}): add it as people.<person>.dashboard there first`,
        );
      }
      const token = generateToken();
      withUsers(program, (users) => users.add(login, hashToken(token), { replace: opts.rotate === true }));
      process.stdout.write(`${token}\n`);
      process.stderr.write(
        `Token for ${login} (${person}) shown once: sign in to the dashboard with it. Slipway keeps only its hash.\n`,
      );
    });
  user
    .command('list')
    .description('list dashboard users')
    .action(() => {
      for (const u of withUsers(program, (users) => users.list())) {
        process.stdout.write(`${u.login}\t${new Date(u.createdAt).toISOString()}\n`);
      }
    });
  user
    .command('remove')
    .description('remove a user and end their sessions')
    .argument('<login>')
    .action((login: string) => {
      if (!withUsers(program, (users) => users.remove(login))) throw new CliError(`no user ${login}`);
    });
};
