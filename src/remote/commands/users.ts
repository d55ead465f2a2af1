/** Pure argv builders for local users and groups on a host (shadow-utils). */

function groupList(groups: string[]): string {
  for (const g of groups)
    if (g === '' || g.includes(',')) throw new Error(`invalid group name ${JSON.stringify(g)}`);
  return groups.join(',');
}

/** Prints uid, gid and groups of `user`; exit 1 when the user does not exist. */
export function id(user: string): string[] {
  return ['id', '--', user];
}

/** Prints the passwd line of `user` (name:x:uid:gid:gecos:home:shell); exit 2 when missing. */
export function passwdEntry(user: string): string[] {
  return ['getent', 'passwd', '--', user];
}

/** Creates a user with a home directory. */
export function useradd(
  user: string,
  opts: { home?: string; shell?: string; groups?: string[]; system?: boolean; comment?: string } = {},
): string[] {
  const argv = ['useradd', '--create-home'];
  if (opts.system) argv.push('--system');
  if (opts.home) argv.push('--home-dir', opts.home);
  if (opts.shell) argv.push('--shell', opts.shell);
  if (opts.comment !== undefined) argv.push('--comment', opts.comment);
  if (opts.groups?.length) argv.push('--groups', groupList(opts.groups));
  return [...argv, '--', user];
}

/** Adds `user` to supplementary `groups`, keeping the ones it has. */
export function addToGroups(user: string, groups: string[]): string[] {
  return ['usermod', '--append', '--groups', groupList(groups), '--', user];
}
