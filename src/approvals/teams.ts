/** Resolves a team (`@org/team`) to its members' logins: from slipway.yml now, from the forge later. */
export interface TeamResolver {
  members(team: string): Promise<string[]>;
}

/** Teams as written in slipway.yml `teams` (members may themselves be teams, resolved recursively). */
export function configTeams(teams: Readonly<Record<string, readonly string[]>>): TeamResolver {
  const expand = (team: string, seen: Set<string>): string[] => {
    if (seen.has(team)) return [];
    seen.add(team);
    return (teams[team] ?? []).flatMap((m) => (m.startsWith('@') ? expand(m, seen) : [m]));
  };
  return { members: async (team) => expand(team, new Set()) };
}

/** Members of every team among `principals`, for the policy. */
export async function resolveTeams(
  principals: readonly string[],
  resolver: TeamResolver,
): Promise<Record<string, string[]>> {
  const teams: Record<string, string[]> = {};
  for (const p of principals) if (p.startsWith('@')) teams[p] = await resolver.members(p);
  return teams;
}
