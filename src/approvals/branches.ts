/**
 * Whether a branch may deploy to an environment whose `branches` are these globs. `*` alone allows every
 * branch; otherwise `*` stays within one path segment and `**` crosses segments (as in forge branch filters).
 */
export function branchAllowed(branch: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => p === '*' || globToRegExp(p).test(branch));
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
