import type { ForgeConnection } from './client.ts';
import { giteaForge } from './gitea.ts';
import { githubForge } from './github.ts';
import type { Forge, ForgeKind } from './types.ts';

/** The adapter for `kind`. */
export function createForge(kind: ForgeKind, connection: ForgeConnection): Forge {
  return kind === 'github' ? githubForge(connection) : giteaForge(connection);
}
