import type { Access } from './schema/access.ts';
import type { Pipeline } from './schema/pipeline.ts';
import type { Project } from './schema/project.ts';
import type { Sites } from './schema/sites.ts';

/** A place in a source file, 1-based, for messages. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One problem found in the ops repository: where, which key, what is wrong, what to write instead. */
export interface ConfigError extends SourcePos {
  /** Dotted key path inside the file, e.g. `jobs.deploy.steps.0.deploy.compose`; empty for the whole file. */
  key: string;
  message: string;
  hint?: string;
}

/** Variables of a host or group, as Ansible would merge them. */
export type Vars = Record<string, unknown>;

/** A host as resolved from an inventory (equal to what ansible-inventory resolves). */
export interface InventoryHost {
  name: string;
  /** Address to connect to: ansible_host, else the name. */
  address: string;
  port: number;
  user?: string;
  vars: Vars;
  groups: string[];
}

/** One environment's inventory, resolved. */
export interface Inventory {
  environment: string;
  dir: string;
  hosts: Map<string, InventoryHost>;
  /** Group -> its hosts (transitively through children), in inventory order. */
  groups: Map<string, string[]>;
  /** The same JSON `ansible-inventory --list` prints. */
  ansibleList: Record<string, unknown>;
  /** Values decrypted from `!vault` variables: secrets, masked in every log. */
  vaultValues?: string[];
}

/** A parsed public key from infra/ssh-keys/. */
export interface PublicKey {
  name: string;
  type: string;
  base64: string;
  comment: string;
  /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  line: string;
}

/** A pipeline with the file it came from, and positions of its keys for later messages. */
export interface PipelineFile {
  file: string;
  pipeline: Pipeline;
  /** Dotted key path -> position in `file`. */
  positions: Map<string, SourcePos>;
}

/** The whole ops repository, validated and typed: nothing below config/ sees YAML. */
export interface OpsRepo {
  /** Where the pipelines and the paths their steps name are: the ops tree, or an app's checkout. */
  root: string;
  /**
   * Set when the pipelines come from an app repository: the ops tree inventories, infra/ and roles/ were
   * read from (relative paths in inventory variables lead here).
   */
  opsRoot?: string;
  project: Project;
  pipelines: PipelineFile[];
  inventories: Map<string, Inventory>;
  /** Access files (infra/access.yml and any other an ssh-keys step names), by repository path. */
  accessFiles: Map<string, Access>;
  keys: Map<string, PublicKey>;
  /** Sites files (infra/sites.yml and any other a caddy step names), by repository path. */
  sitesFiles: Map<string, Sites>;
}

/** What `loadRepo` returns: the typed repository, or every problem found in it. */
export type LoadResult = { ok: true; repo: OpsRepo } | { ok: false; errors: ConfigError[] };
