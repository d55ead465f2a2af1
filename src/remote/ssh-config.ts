/** Where and how to reach one host over SSH. */
export interface SshTarget {
  /** Inventory host name, for messages. */
  name: string;
  address: string;
  port: number;
  user?: string;
  /** Private key file; only this key is offered (IdentitiesOnly). */
  identityFile?: string;
  /** known_hosts files the host key (and the jump host's) must be in. */
  knownHostsFiles: string[];
  /** OpenSSH ProxyJump spec, e.g. `admin@bastion:2222`. */
  proxyJump?: string;
  connectTimeoutSec?: number;
}

// ssh_config values: double quotes keep spaces together; `%` starts a token in file paths.
function configPath(path: string): string {
  if (/["\n\r\0]/.test(path)) throw new Error(`unsupported character in ssh path ${JSON.stringify(path)}`);
  return `"${path.replaceAll('%', '%%')}"`;
}

/**
 * Renders an ssh_config (used with `ssh -F`, so no user or system config changes behaviour) that
 * pins host key checking to the given known_hosts. Written as a file rather than `-o` flags because
 * OpenSSH passes `-F` on to the ProxyJump connection, so the jump host is checked the same way.
 */
export function renderSshConfig(
  target: Pick<SshTarget, 'name' | 'identityFile' | 'knownHostsFiles' | 'connectTimeoutSec'>,
): string {
  if (target.knownHostsFiles.length === 0)
    throw new Error(`${target.name}: no known_hosts file to check the host key`);
  const lines = [
    'Host *',
    '  BatchMode yes',
    '  StrictHostKeyChecking yes',
    '  CheckHostIP no',
    '  UpdateHostKeys no',
    `  UserKnownHostsFile ${target.knownHostsFiles.map(configPath).join(' ')}`,
    '  GlobalKnownHostsFile /dev/null',
    '  IdentitiesOnly yes',
    '  PasswordAuthentication no',
    '  KbdInteractiveAuthentication no',
    `  ConnectTimeout ${target.connectTimeoutSec ?? 10}`,
    '  ServerAliveInterval 15',
    '  ServerAliveCountMax 3',
    '  StreamLocalBindUnlink yes',
    '  LogLevel ERROR',
  ];
  if (target.identityFile) lines.push(`  IdentityFile ${configPath(target.identityFile)}`);
  return `${lines.join('\n')}\n`;
}
