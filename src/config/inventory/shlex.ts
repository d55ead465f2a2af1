// POSIX shlex.split(line, comments=True), which Ansible's INI parser uses for host lines.

/** A line shlex cannot split (unclosed quote, trailing backslash). */
export class ShlexError extends Error {}

/** Splits a line into words like Python's `shlex.split(line, comments=True)`. */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (ch === '#') {
      break;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('No closing quotation');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      let j = i + 1;
      let out = '';
      for (;;) {
        if (j >= line.length) throw new ShlexError('No closing quotation');
        const c = line[j]!;
        if (c === '"') break;
        if (c === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) {
          out += line[j + 1];
          j += 2;
        } else {
          out += c;
          j++;
        }
      }
      word = (word ?? '') + out;
      i = j + 1;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new ShlexError('No escaped character');
      word = (word ?? '') + line[i + 1];
      i += 2;
    } else {
      word = (word ?? '') + ch;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
