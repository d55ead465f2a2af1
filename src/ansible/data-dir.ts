import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostParallelism } from '../remote/parallelism.ts';
import { renderSshConfig } from '../remote/ssh-config.ts';

/** The callback plugin shipped in this repository. */
export const CALLBACK_DIR = fileURLToPath(new URL('./callback', import.meta.url));
/** Its name, as enabled in ANSIBLE_CALLBACKS_ENABLED. */
export const CALLBACK_NAME = 'slipway_events';
/** The descriptor the callback writes events to (stdin, stdout, stderr, then this). */
export const EVENTS_FD = 3;

/**
 * What ansible-playbook inherits from the runner: only these. Playbooks read the environment (`lookup('env')`,
 * modules on local hosts), so the runner's own secrets (webhook secret, forge token, secrets' sources) stay
 * out, as do the caller's ANSIBLE_* settings: the data dir's ansible.cfg is the whole configuration.
 */
const INHERITED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'SSH_AUTH_SOCK',
] as const;

/** What goes into a private data dir. */
export interface DataDirInput {
  /** Where to create it (must not exist yet, or be empty); default: a new temp dir. */
  dir?: string;
  extraVars?: Record<string, unknown>;
  /** Default private key for hosts that set none; copied in with mode 0600. */
  sshKey?: string;
  /** known_hosts files every host key (and jump host key) must be in. */
  knownHosts: string[];
  forks?: number;
  /** Folders roles are looked up in by name (`roles_path`), first match wins. */
  rolesPath?: string[];
}

/** A prepared data dir: ansible-runner's layout (env/, artifacts/) plus a pinned ansible.cfg. */
export interface DataDir {
  root: string;
  artifacts: string;
  extraVarsFile?: string;
  /** Where ansible's ssh keeps its ControlMaster sockets (short: unix socket paths are limited). */
  controlDir: string;
  /** Environment for ansible-playbook: a few of the runner's variables (INHERITED) and Ansible's settings. */
  env: Record<string, string>;
  /** Removes the private inputs (key, extravars, known_hosts, sockets); artifacts stay. */
  cleanup(): Promise<void>;
}

function ini(sections: Record<string, Record<string, string | number | boolean>>): string {
  return Object.entries(sections)
    .map(
      ([name, kv]) =>
        `[${name}]\n${Object.entries(kv)
          .map(([k, v]) => `${k} = ${v}\n`)
          .join('')}`,
    )
    .join('\n');
}

// ansible.cfg values go through ConfigParser interpolation, where `%` is special.
function cfgValue(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`unsupported path ${JSON.stringify(value)}`);
  return value.replaceAll('%', '%%');
}

// roles_path is a `:`-separated list.
function pathListItem(value: string): string {
  if (value.includes(':')) throw new Error(`unsupported path ${JSON.stringify(value)}: it holds ":"`);
  return cfgValue(value);
}

/**
 * Creates a private (0700) data dir for one ansible-playbook invocation: its own ansible.cfg
 * (pinned through ANSIBLE_CONFIG), ssh config checking host keys strictly against the given
 * known_hosts, the key, the extravars file, and an artifacts/ folder.
 */
export async function createDataDir(input: DataDirInput): Promise<DataDir> {
  const root = input.dir ?? (await mkdtemp(join(tmpdir(), 'slipway-ansible-')));
  await mkdir(root, { recursive: true, mode: 0o700 });
  const envDir = join(root, 'env');
  const artifacts = join(root, 'artifacts');
  const localTmp = join(root, 'tmp');
  await mkdir(envDir, { mode: 0o700 });
  await mkdir(artifacts, { mode: 0o700 });
  await mkdir(localTmp, { mode: 0o700 });
  const controlDir = await mkdtemp(join(tmpdir(), 'slw-acp-'));

  const knownHosts = join(envDir, 'known_hosts');
  const parts = await Promise.all(input.knownHosts.map((f) => readFile(f, 'utf8')));
  await writeFile(knownHosts, parts.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join(''), { mode: 0o600 });
  let sshKey: string | undefined;
  if (input.sshKey) {
    sshKey = join(envDir, 'ssh_key');
    await writeFile(sshKey, await readFile(input.sshKey), { mode: 0o600 });
  }
  const sshConfig = join(envDir, 'ssh_config');
  const sshTarget = {
    name: 'ansible',
    knownHostsFiles: [knownHosts],
    ...(sshKey ? { identityFile: sshKey } : {}),
  };
  await writeFile(sshConfig, renderSshConfig(sshTarget), { mode: 0o600 });
  let extraVarsFile: string | undefined;
  if (input.extraVars) {
    extraVarsFile = join(envDir, 'extravars');
    await writeFile(extraVarsFile, JSON.stringify(input.extraVars), { mode: 0o600 });
  }

  const cfg = join(root, 'ansible.cfg');
  const defaults: Record<string, string | number | boolean> = {
    host_key_checking: true,
    retry_files_enabled: false,
    forks: input.forks ?? hostParallelism(),
    timeout: 10,
    interpreter_python: 'auto_silent',
    local_tmp: cfgValue(localTmp),
    nocows: true,
    callback_plugins: cfgValue(CALLBACK_DIR),
    callbacks_enabled: CALLBACK_NAME,
  };
  if (sshKey) defaults['private_key_file'] = cfgValue(sshKey);
  if (input.rolesPath?.length) defaults['roles_path'] = input.rolesPath.map(pathListItem).join(':');
  await writeFile(
    cfg,
    ini({
      defaults,
      ssh_connection: {
        ssh_args: `-F ${cfgValue(sshConfig)} -o ControlMaster=auto -o ControlPersist=30s`,
        control_path_dir: cfgValue(controlDir),
        control_path: '%(directory)s/%%C',
        pipelining: true,
      },
    }),
    { mode: 0o600 },
  );

  const env: Record<string, string> = {};
  for (const k of INHERITED) if (process.env[k] !== undefined) env[k] = process.env[k];
  Object.assign(env, {
    ANSIBLE_CONFIG: cfg,
    ANSIBLE_CALLBACK_PLUGINS: CALLBACK_DIR,
    ANSIBLE_CALLBACKS_ENABLED: CALLBACK_NAME,
    SLIPWAY_EVENTS_FD: String(EVENTS_FD),
    ANSIBLE_NOCOLOR: '1',
    PYTHONUNBUFFERED: '1',
    // The callback plugin lives in Slipway's own tree: no __pycache__ written beside it.
    PYTHONDONTWRITEBYTECODE: '1',
  });

  return {
    root,
    artifacts,
    ...(extraVarsFile ? { extraVarsFile } : {}),
    controlDir,
    env,
    cleanup: async () => {
      await rm(envDir, { recursive: true, force: true });
      await rm(localTmp, { recursive: true, force: true });
      await rm(controlDir, { recursive: true, force: true });
    },
  };
}
