/** Pure argv builders for files and directories on a host (coreutils / busybox). */

/** Octal string of a file mode, e.g. 0o640 -> "0640". */
export function modeString(mode: number): string {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`invalid file mode ${mode}`);
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function absolute(path: string): string {
  if (!path.startsWith('/')) throw new Error(`expected an absolute path, got ${JSON.stringify(path)}`);
  return path;
}

/** `owner:group`, `owner` or `:group` for chown, or '' for neither. */
export function ownerSpec(owner?: string, group?: string): string {
  if (owner === undefined && group === undefined) return '';
  return group === undefined ? owner! : `${owner ?? ''}:${group}`;
}

/** Removes a directory tree; a missing one is not an error. */
export function rmTree(path: string): string[] {
  if (absolute(path).replace(/\/+$/, '') === '') throw new Error('refusing to remove /');
  return ['rm', '-rf', '--', path];
}

/** Prints a file's content. */
export function cat(path: string): string[] {
  return ['cat', '--', absolute(path)];
}

// Constant, like the upload script: the target and the link arrive as $1 and $2 only.
const SWITCH_LINK_SCRIPT = 'set -eu\nln -sfn -- "$1" "$2.new"\nmv -f -T -- "$2.new" "$2"';

/**
 * Points the symlink `link` at `target` atomically (a new link renamed over the old one), so a
 * reader sees the old target or the new one, never no link. One round trip.
 */
export function switchLink(target: string, link: string): string[] {
  return ['sh', '-c', SWITCH_LINK_SCRIPT, 'slipway-link', absolute(target), absolute(link)];
}

// A constant script: user data arrive only as positional parameters ($1..$3) and are always
// quoted, so nothing the caller passes is ever parsed by the shell. One round trip per upload.
const ATOMIC_WRITE_SCRIPT = [
  'set -eu',
  'dest=$1 mode=$2 owner=$3',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
  'tmp=$(mktemp "${dest%/*}/.slipway-upload.XXXXXX")',
  `trap 'rm -f -- "$tmp"' EXIT`,
  'chmod "$mode" "$tmp"',
  'if [ -n "$owner" ]; then chown "$owner" "$tmp"; fi',
  'cat > "$tmp"',
  'mv -f -T -- "$tmp" "$dest"',
  'trap - EXIT',
].join('\n');

/**
 * Writes stdin to `path` atomically: a temp file in the same directory gets the mode and owner
 * before any content lands, then is renamed over `path`. The content travels on stdin only.
 */
export function atomicWrite(path: string, opts: { mode: number; owner?: string; group?: string }): string[] {
  return [
    'sh',
    '-c',
    ATOMIC_WRITE_SCRIPT,
    'slipway-write',
    absolute(path),
    modeString(opts.mode),
    ownerSpec(opts.owner, opts.group),
  ];
}
