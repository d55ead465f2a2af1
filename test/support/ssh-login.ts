import { execa } from 'execa';

/** Where a test logs in: address, port, and the known_hosts file holding the host's key. */
export interface LoginTarget {
  address: string;
  port: number;
  knownHosts: string;
}

/**
 * Logs in with real OpenSSH as `user` offering only `privateKey` (no agent, no shared connection) and
 * runs `command`; returns stdout, or undefined when the server refuses the key.
 */
export async function sshLogin(
  target: LoginTarget,
  user: string,
  privateKey: string,
  command = 'id -un',
): Promise<string | undefined> {
  const r = await execa(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-i',
      privateKey,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      'BatchMode=yes',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${target.knownHosts}`,
      '-o',
      'ConnectTimeout=10',
      '-p',
      String(target.port),
      '-l',
      user,
      '--',
      target.address,
      command,
    ],
    { reject: false, stdin: 'ignore', timeout: 30_000 },
  );
  if (r.exitCode === 255 && /Permission denied/.test(r.stderr)) return undefined;
  if (r.exitCode !== 0)
    throw new Error(`ssh ${user}@${target.address} failed (${r.exitCode}): ${r.stderr.trim()}`);
  return r.stdout.trim();
}
