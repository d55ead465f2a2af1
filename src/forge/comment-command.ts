/** A decision written as an issue comment. */
export type CommentCommand =
  | { kind: 'approve'; note?: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'invalid'; message: string };

/**
 * The command in a comment, or undefined when the comment is plain discussion. Only the first non-empty
 * line counts, and it must start with the command, so quoting (`> /approve`) or mentioning a command
 * in prose never decides anything.
 */
export function parseCommentCommand(body: string): CommentCommand | undefined {
  const first = body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line !== '');
  const match = first?.match(/^\/(approve|reject)(?:\s+(.*))?$/i);
  if (!match) return undefined;
  const rest = match[2]?.trim() ?? '';
  if (match[1]!.toLowerCase() === 'approve')
    return rest ? { kind: 'approve', note: rest } : { kind: 'approve' };
  if (!rest) return { kind: 'invalid', message: '/reject needs a reason: /reject <reason>' };
  return { kind: 'reject', reason: rest };
}
