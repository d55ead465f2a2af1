/**
 * The persons of a team as slipway.yml `teams` lists them (members may themselves be teams, expanded
 * recursively). Every channel resolves teams this way: a forge's own teams do not count.
 */
export function teamMembers(teams: Readonly<Record<string, readonly string[]>>, team: string): string[] {
  const expand = (t: string, seen: Set<string>): string[] => {
    if (seen.has(t)) return [];
    seen.add(t);
    return (teams[t] ?? []).flatMap((m) => (m.startsWith('@') ? expand(m, seen) : [m]));
  };
  return expand(team, new Set());
}
