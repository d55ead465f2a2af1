import { openDatabase } from './database.ts';
import { RunFacets } from './run-facets.ts';
import { Users } from './users.ts';

/** The dashboard's own tables and queries on the store at `path`, on one connection of their own (WAL lets it share the file). */
export function openDashboardStore(path: string): { users: Users; facets: RunFacets; close(): void } {
  const db = openDatabase(path);
  return { users: new Users(db), facets: new RunFacets(db), close: () => db.close() };
}
