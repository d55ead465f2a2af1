/** The number after `flag` on the command line (`--reps 5`), or `fallback` when the flag is absent. */
export function numberArg(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
