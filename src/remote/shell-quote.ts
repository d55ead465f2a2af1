/**
 * Quotes argv for a POSIX shell so that the shell yields exactly these words, nothing expanded.
 * sshd always hands the command line to the remote login shell, so this is the one place where
 * quoting happens; command builders return plain argv.
 */
export function shellQuote(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellQuote: empty argv');
  return argv.map(quoteWord).join(' ');
}

// Inside single quotes every byte is literal except the single quote itself, which is closed,
// emitted escaped, and reopened: ' -> '\''. NUL cannot be passed in argv at all, so refuse it.
function quoteWord(word: string): string {
  if (word.includes('\0')) throw new Error('shellQuote: argument contains a NUL byte');
  // Plain words stay readable in logs; `=` is left out so a first word is never an assignment.
  if (/^[A-Za-z0-9_@%+:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
