import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { fileError } from './errors.ts';
import { readConfigText } from './file-read.ts';
import { vaultTag } from './inventory/vault.ts';
import { pyyamlTags } from './pyyaml-scalars.ts';
import type { ConfigError, SourcePos } from './types.ts';

/** Alias expansions allowed per document: enough for real anchors, far too few for a "billion laughs". */
export const MAX_ALIAS_COUNT = 100;

/** Deepest `[`/`{` nesting accepted; the parser's time grows steeply past a few thousand levels. */
export const MAX_FLOW_DEPTH = 200;

/** Offset where flow nesting first exceeds MAX_FLOW_DEPTH, skipping quoted text and comments. */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const prev = i === 0 ? '\n' : text[i - 1]!;
    if ((ch === '"' || ch === "'") && /[\s[{,:]/.test(prev)) {
      for (i++; i < text.length; i++) {
        if (ch === '"' && text[i] === '\\') i++;
        else if (text[i] === ch) {
          if (ch === "'" && text[i + 1] === "'") i++;
          else break;
        }
      }
    } else if (ch === '#' && /\s/.test(prev)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_FLOW_DEPTH) return i;
    } else if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** PyYAML's scalars plus Ansible's `!vault` tag, for inventories and vars files. */
const ansibleTags = (tags: unknown[]) => [...pyyamlTags(tags), vaultTag];

/** A parsed YAML file: its document (for positions) and its plain value. */
export interface YamlSource {
  /** Path as shown in messages (relative to the repository root). */
  file: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

/** `1.2` for Slipway's own files (so `on:` stays a key); `ansible` for inventories and vars (PyYAML's YAML 1.1). */
export type YamlFlavour = '1.2' | 'ansible';

/** Parses YAML text; returns the source or every syntax error with its position. */
export function parseYaml(
  text: string,
  file: string,
  flavour: YamlFlavour = '1.2',
  opts: { mapAsMap?: boolean } = {},
): { source?: YamlSource; errors: ConfigError[] } {
  const lines = new LineCounter();
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    lines.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < deep; i = text.indexOf('\n', i + 1))
      lines.addNewLine(i + 1);
    const hint = 'flatten the structure';
    return {
      errors: [fileError(file, lines.linePos(deep), `nesting deeper than ${MAX_FLOW_DEPTH} levels`, hint)],
    };
  }
  const doc = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: false,
    lineCounter: lines,
    ...(flavour === 'ansible'
      ? { version: '1.1' as const, merge: true, customTags: ansibleTags as never }
      : { version: '1.2' as const }),
  });
  // After the first syntax error the parser's later complaints are mostly echoes of it; duplicate
  // keys are independent of each other and all worth reporting.
  const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
  const errors: ConfigError[] = doc.errors
    .filter((e) => e.code === 'DUPLICATE_KEY' || e === firstSyntax)
    .map((e) => {
      if (e.code === 'DUPLICATE_KEY') {
        const { key, offset } = duplicateKey(text, e.pos[0]);
        const hint = 'a key may appear only once in a mapping; remove one of them';
        return fileError(file, lines.linePos(offset), `duplicate key "${key}"`, hint);
      }
      const message =
        e.code === 'MULTIPLE_DOCS'
          ? 'the file holds more than one YAML document'
          : /call stack/i.test(e.message)
            ? 'the document is nested too deeply'
            : e.message;
      return fileError(file, lines.linePos(e.pos[0]), `YAML syntax error: ${message}`, yamlHint(e.code));
    });
  if (errors.length > 0) return { errors };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT, mapAsMap: opts.mapAsMap ?? false });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      const first = text.search(/\*[^\s,\]}]/);
      const pos = first >= 0 ? lines.linePos(first) : { line: 1, col: 1 };
      return {
        errors: [
          fileError(
            file,
            pos,
            `too many alias expansions (over ${MAX_ALIAS_COUNT}): refusing a possible "billion laughs" document`,
            'write the values out, or use fewer nested anchors (&name) and aliases (*name)',
          ),
        ],
      };
    }
    if (err instanceof RangeError) {
      return {
        errors: [
          fileError(file, { line: 1, col: 1 }, 'the document is nested too deeply', 'flatten the structure'),
        ],
      };
    }
    throw err;
  }
  return { source: { file, doc, lines, value }, errors };
}

/** Reads and parses one YAML file with the size cap; `file` is the path shown in messages. */
export function readYaml(
  absPath: string,
  file: string,
  flavour: YamlFlavour = '1.2',
  opts: { mapAsMap?: boolean } = {},
): { source?: YamlSource; errors: ConfigError[] } {
  const { text, error } = readConfigText(absPath, file);
  if (error || text === undefined) return { errors: error ? [error] : [] };
  return parseYaml(text, file, flavour, opts);
}

function duplicateKey(text: string, offset: number): { key: string; offset: number } {
  let start = offset;
  let m = /^[^\n:#]*/.exec(text.slice(start));
  if (!m?.[0].trim()) {
    // The parser may point just past a key without a value (`host:`); read the key from its line.
    start = text.lastIndexOf('\n', offset - 1) + 1;
    m = /^[^\n:#]*/.exec(text.slice(start));
  }
  const raw = m?.[0] ?? '';
  const lead = raw.length - raw.trimStart().length;
  return { key: raw.trim().replace(/^["']|["']$/g, ''), offset: start + lead };
}

function yamlHint(code: string): string {
  if (code === 'TAB_AS_INDENT') return 'indent with spaces, not tabs';
  if (code === 'BAD_INDENT' || code === 'MISSING_CHAR')
    return 'check the indentation and the closing brackets/quotes';
  if (code === 'MULTIPLE_DOCS') return 'keep one YAML document per file (remove the extra "---")';
  return 'fix the YAML syntax at this position';
}

/** Path of keys and indexes from the document root, as zod reports it. */
export type KeyPath = readonly PropertyKey[];

/**
 * Position of the node at `path` (its value, or its key when `at: 'key'`); when the path does not
 * exist, the deepest existing ancestor's key, so "missing key" messages point at the parent.
 */
export function positionOf(src: YamlSource, path: KeyPath, at: 'key' | 'value' = 'value'): SourcePos {
  let node: unknown = src.doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  // Where the deepest existing entry starts (its key for a mapping entry): missing keys point there.
  let entryOffset = offset;
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg),
      );
      if (!pair) return linePos(src, entryOffset);
      entryOffset = (pair.key as Node).range?.[0] ?? entryOffset;
      offset = entryOffset;
      node = pair.value;
      if (last && at === 'key') break;
      if ((node as Node | null)?.range) offset = (node as Node).range![0];
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
      entryOffset = offset;
    } else return linePos(src, entryOffset);
  }
  return linePos(src, offset);
}

function linePos(src: YamlSource, offset: number): SourcePos {
  const { line, col } = src.lines.linePos(offset);
  return { file: src.file, line, col };
}

/** Every key path of the document -> position of its value, for messages after validation. */
export function allPositions(src: YamlSource): Map<string, SourcePos> {
  const out = new Map<string, SourcePos>();
  const visit = (node: unknown, prefix: string) => {
    if (isMap(node)) {
      for (const p of node.items) {
        const k = isScalar(p.key) ? String(p.key.value) : String(p.key);
        const key = prefix ? `${prefix}.${k}` : k;
        const n = (p.value as Node | null)?.range ? (p.value as Node) : (p.key as Node);
        const { line, col } = src.lines.linePos(n.range?.[0] ?? 0);
        out.set(key, { file: src.file, line, col });
        visit(p.value, key);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const key = prefix ? `${prefix}.${i}` : String(i);
        const { line, col } = src.lines.linePos((item as Node).range?.[0] ?? 0);
        out.set(key, { file: src.file, line, col });
        visit(item, key);
      });
    }
  };
  visit(src.doc.contents, '');
  return out;
}
