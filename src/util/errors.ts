/** The text of anything thrown: an Error's message, anything else as it prints. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
