// A unified diff of two texts, line by line (Myers' algorithm), as `diff -u` prints its hunks.

/** Lines of context around each change, as `diff -u`. */
const CONTEXT = 3;
/** Beyond this many differing lines the middle is shown as removed then added: bounded time and memory. */
const MAX_EDITS = 1000;

type Op = { op: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The shortest edit script from `a` to `b`, or undefined when it takes more than MAX_EDITS edits. */
function myers(a: readonly string[], b: readonly string[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(n + m, MAX_EDITS);
  const off = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, off);
    }
  }
  return undefined;
}

function backtrack(a: readonly string[], b: readonly string[], trace: Int32Array[], off: number): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? k + 1 : k - 1;
    const prevX = v[off + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ op: ' ', line: a[x]! });
    }
    if (d > 0) ops.push(x === prevX ? { op: '+', line: b[--y]! } : { op: '-', line: a[--x]! });
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

/** The edit script: common head and tail kept, the middle by Myers' algorithm (else replaced whole). */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle = myers(midA, midB) ?? [
    ...midA.map((line): Op => ({ op: '-', line })),
    ...midB.map((line): Op => ({ op: '+', line })),
  ];
  const same = (line: string): Op => ({ op: ' ', line });
  return [...a.slice(0, head).map(same), ...middle, ...a.slice(a.length - tail).map(same)];
}

/** `@@ -l,s +l,s @@` hunks with CONTEXT lines around each change; empty when the texts are equal. */
export function unifiedDiff(before: string, after: string): string {
  const ops = editScript(splitLines(before), splitLines(after));
  const out: string[] = [];
  let i = 0;
  // Line numbers (1-based) in a and b of ops[i].
  const posA = [1];
  const posB = [1];
  for (const o of ops) {
    posA.push(posA.at(-1)! + (o.op === '+' ? 0 : 1));
    posB.push(posB.at(-1)! + (o.op === '-' ? 0 : 1));
  }
  while (i < ops.length) {
    if (ops[i]!.op === ' ') {
      i++;
      continue;
    }
    const start = Math.max(0, i - CONTEXT);
    let end = i;
    // Extend while the next change is within two contexts of the last one.
    for (let j = i; j < ops.length; j++) {
      if (ops[j]!.op !== ' ') end = j;
      else if (j - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(ops.length, end + CONTEXT + 1);
    const hunk = ops.slice(start, stop);
    const lenA = hunk.filter((o) => o.op !== '+').length;
    const lenB = hunk.filter((o) => o.op !== '-').length;
    const from = (pos: number, len: number) => `${len === 0 ? pos - 1 : pos},${len}`;
    out.push(`@@ -${from(posA[start]!, lenA)} +${from(posB[start]!, lenB)} @@`);
    for (const o of hunk) out.push(`${o.op}${o.line}`);
    i = stop;
  }
  return out.join('\n');
}
