/** What an ansible-core 2.14 `ansible-playbook` exit code means (per-host detail comes from events). */
export function exitCodeMeaning(rc: number): string {
  switch (rc) {
    case 0:
      return 'ok';
    case 2:
      return 'one or more hosts failed';
    case 4:
      return 'one or more hosts unreachable, or a parse error';
    case 8:
      return 'play aborted (no hosts left)';
    case 1:
      return 'error';
    case 5:
      return 'bad or incomplete options';
    case 6:
      return 'unexpected error';
    case 250:
      return 'unexpected exception';
    case 99:
      return 'interrupted';
    default:
      return rc > 128 ? `killed by signal ${rc - 128}` : `unknown exit code ${rc}`;
  }
}
