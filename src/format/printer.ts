// The .ppvc formatter: one printer over the parser's CST and the lexer's comment tokens, used by
// `ppvc-dsl fmt` and by the prettier plugin (src/format/prettier-plugin.ts).
//
// The canonical style (docs: src/format/README.md):
//   - one statement per line; `;` separators become line breaks; lines end in `\n`, the file in
//     exactly one `\n`; trailing spaces are removed;
//   - one space between words; `a, b` (no space before a comma, one after); `[1, 2]`; `name:`;
//     `label = argmax(sum)`;
//   - option groups are separated by two spaces: `from alice  range [0, 1]`,
//     `target mp-spdz { protocol replicated-ring  ring 64  precision 16 31 }` (a group starts at
//     an option keyword: range; protocol, ring, precision, threads, trunc, budget, bound);
//   - `model ... { }` blocks: one layer per line, indented by two spaces, `}` on its own line;
//   - `target NAME { ... }` stays on one line if it was written on one line and fits in 100
//     columns; otherwise one line per source line (or per option group when a one-line block is
//     too long), indented by two spaces;
//   - consecutive `party` lines align their `=`;
//   - comments are kept: own-line comments at the indentation of their block, end-of-line
//     comments after their statement; the end-of-line comments of consecutive lines are aligned
//     at one column: the leftmost the source's spacing puts them at (each line's code as
//     formatted plus the spaces the source had before its comment), but at least two spaces
//     after the longest line of the group (so `party bob   = 1   # ...` lines keep their look);
//   - blank lines separate groups as in the source, several collapsing to one; none at the start
//     of the file, after `{` or before `}`.
// The printer refuses files with syntax errors (the diagnostics are check's), and verifies its
// own output: the formatted text must parse to the same syntax tree and keep every comment.
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type { Diagnostic, SourceFile } from '../diagnostics.js';
import { parseSource } from '../syntax/parse.js';
import { TARGET_OPTION_KEYS, VIDEO_OPTION_KEYS } from '../syntax/option-keys.js';
import { LineIndex } from '../util/line-index.js';

/** Lines of at most this many columns keep a one-line `target { ... }` block on one line. */
export const MAX_LINE = 100;
const INDENT = '  ';

export type FormatOutcome = { ok: true; text: string; changed: boolean } | { ok: false; diagnostics: Diagnostic[] };

/** Formats a .ppvc file; on a syntax error returns parseSource's diagnostics (those of `check`). */
export function formatSource(file: SourceFile): FormatOutcome {
  const parsed = parseSource(file);
  if (!parsed.ast || !parsed.cst || parsed.diagnostics.some((d) => d.severity === 'error')) {
    return { ok: false, diagnostics: parsed.diagnostics };
  }
  const text = printCst(parsed.cst, parsed.comments, file.text);
  verify(file, text);
  return { ok: true, text, changed: text !== file.text };
}

/** A formatting failure of the printer itself (never the user's input): a bug. */
export class FormatterBug extends Error {}

/** Formats text or throws (with the syntax error messages); for tools such as prettier. */
export function formatText(text: string, path = '<input>.ppvc'): string {
  const r = formatSource({ path, text });
  if (!r.ok) throw new SyntaxErrorInSource(r.diagnostics);
  return r.text;
}

export class SyntaxErrorInSource extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => (d.span ? `${d.span.line}:${d.span.col}: ` : '') + d.message).join('\n'));
  }
}

// ---- the printer ---------------------------------------------------------------------------

interface Line {
  /** Block depth. */
  depth: number;
  /** The code of the line (without indentation); '' for an own-line comment. */
  code: string;
  comment?: string;
  /** Spaces between the code and the end-of-line comment in the source, for alignment. */
  commentGap?: number;
  /** Source line numbers (1-based) this line spans. */
  startLine: number;
  endLine: number;
  /** The offsets of the source tokens printed on this line (to attach end-of-line comments). */
  first: number;
  last: number;
  /** The source offset just after the last token. */
  lastEnd: number;
  role?: 'open' | 'close';
  party?: { name: string; id: string };
}

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

/** Every token under a CST node, in source order. */
function tokensOf(n: CstNode): IToken[] {
  const out: IToken[] = [];
  const walk = (x: CstNode) => {
    for (const list of Object.values(x.children)) for (const e of list) isToken(e) ? out.push(e) : walk(e);
  };
  walk(n);
  return out.filter((t) => !Number.isNaN(t.startOffset)).sort((a, b) => a.startOffset - b.startOffset);
}

const isSeparator = (t: IToken) => t.tokenType.name === 'Newline' || t.tokenType.name === 'Semicolon';
const NO_SPACE_BEFORE = new Set(['Comma', 'Colon', 'RBracket', 'RParen']);
const NO_SPACE_AFTER = new Set(['LBracket', 'LParen']);

/**
 * Joins the tokens of one output line with canonical spacing. `keys`: option keywords that start
 * a group (two spaces before them unless the line or block starts there).
 */
function joinTokens(toks: IToken[], keys?: ReadonlySet<string>): string {
  let out = '';
  let depth = 0; // inside [ ... ] no option groups
  toks.forEach((t, i) => {
    const name = t.tokenType.name;
    if (i > 0) {
      const prev = toks[i - 1]!;
      const p = prev.tokenType.name;
      if (NO_SPACE_BEFORE.has(name) || NO_SPACE_AFTER.has(p)) {
        // nothing
      } else if (name === 'LParen' && p !== 'Comma' && p !== 'Equals') {
        // argmax(sum)
      } else if (keys && depth === 0 && name === 'Identifier' && keys.has(t.image) && p !== 'LCurly') {
        out += '  ';
      } else out += ' ';
    }
    out += t.image;
    if (name === 'LBracket') depth++;
    if (name === 'RBracket') depth--;
  });
  return out;
}

function lineOf(ix: LineIndex, toks: IToken[], depth: number, keys?: ReadonlySet<string>): Line {
  const last = toks[toks.length - 1]!;
  return {
    depth,
    code: joinTokens(toks, keys),
    startLine: ix.line(toks[0]!.startOffset),
    endLine: ix.line(last.startOffset),
    first: toks[0]!.startOffset,
    last: last.startOffset,
    lastEnd: last.endOffset! + 1,
  };
}

/** Splits a token run at separators into the runs between them (empty runs dropped). */
function splitAtSeparators(toks: IToken[]): IToken[][] {
  const runs: IToken[][] = [[]];
  for (const t of toks) {
    if (isSeparator(t)) runs.push([]);
    else runs[runs.length - 1]!.push(t);
  }
  return runs.filter((r) => r.length > 0);
}

/** Splits a one-line option run into groups, each starting at an option keyword. */
function splitGroups(toks: IToken[], keys: ReadonlySet<string>): IToken[][] {
  const groups: IToken[][] = [];
  let depth = 0;
  for (const t of toks) {
    const starts = depth === 0 && t.tokenType.name === 'Identifier' && keys.has(t.image);
    if (starts || groups.length === 0) groups.push([]);
    groups[groups.length - 1]!.push(t);
    if (t.tokenType.name === 'LBracket') depth++;
    if (t.tokenType.name === 'RBracket') depth--;
  }
  return groups;
}

function blockLines(ix: LineIndex, stmt: IToken[], depth: number, keys: ReadonlySet<string> | undefined, kind: 'layers' | 'options'): Line[] {
  const open = stmt.findIndex((t) => t.tokenType.name === 'LCurly');
  const close = stmt.length - 1; // the statement ends with its '}'
  const head = stmt.slice(0, open + 1);
  const body = stmt.slice(open + 1, close);
  const closeTok = stmt[close]!;
  const lines: Line[] = [];
  if (kind === 'options') {
    const oneLine = !body.some(isSeparator);
    if (oneLine) {
      const single = lineOf(ix, stmt, depth, keys);
      if (single.code.length + INDENT.length * depth <= MAX_LINE) return [single];
    }
  }
  lines.push({ ...lineOf(ix, head, depth), role: 'open' });
  const runs = splitAtSeparators(body);
  for (const run of runs) {
    if (kind === 'options' && !body.some(isSeparator) && keys) {
      for (const g of splitGroups(run, keys)) lines.push(lineOf(ix, g, depth + 1, keys));
    } else lines.push(lineOf(ix, run, depth + 1, keys));
  }
  lines.push({ ...lineOf(ix, [closeTok], depth), role: 'close' });
  return lines;
}

function statementLines(ix: LineIndex, st: CstNode): Line[] {
  const inner = Object.values(st.children)[0]![0] as CstNode;
  const toks = tokensOf(inner);
  switch (inner.name) {
    case 'partyStatement': {
      const line = lineOf(ix, toks, 0);
      const name = toks[1]!.image;
      const id = toks[3]!.image;
      return [{ ...line, party: { name, id } }];
    }
    case 'videoStatement':
      return [lineOf(ix, toks, 0, VIDEO_OPTION_KEYS)];
    case 'modelStatement':
      if (toks.some((t) => t.tokenType.name === 'LCurly')) return blockLines(ix, toks, 0, undefined, 'layers');
      return [lineOf(ix, toks, 0)];
    case 'targetStatement':
      return blockLines(ix, toks, 0, TARGET_OPTION_KEYS, 'options');
    default:
      return [lineOf(ix, toks, 0)];
  }
}

/** Prints a parsed file (no syntax errors) with its comments in the canonical style. */
export function printCst(cst: CstNode, comments: IToken[], source: string): string {
  const ix = new LineIndex(source);
  const lines: Line[] = [];
  const header = cst.children['header']?.[0];
  if (header && !isToken(header)) lines.push(lineOf(ix, tokensOf(header), 0));
  for (const st of cst.children['statement'] ?? []) if (!isToken(st)) lines.push(...statementLines(ix, st));
  lines.sort((a, b) => a.first - b.first);

  // blocks (for the depth of own-line comments)
  const blocks: [number, number][] = [];
  const opens: number[] = [];
  for (const l of lines) {
    if (l.role === 'open') opens.push(l.last);
    if (l.role === 'close') blocks.push([opens.pop()!, l.first]);
  }
  const depthAt = (offset: number) => blocks.filter(([a, b]) => a < offset && offset < b).length;

  // comments: end-of-line comments go to the last line that printed a token of their source
  // line before them; the others become lines of their own
  const byLast = [...lines].sort((a, b) => a.last - b.last);
  for (const c of comments) {
    const text = c.image.replace(/\s+$/, '');
    const line = ix.line(c.startOffset);
    let owner: Line | undefined;
    for (const l of byLast) if (l.last < c.startOffset && l.endLine === line) owner = l;
    if (owner && owner.comment === undefined) {
      owner.comment = text;
      owner.commentGap = source.slice(owner.lastEnd, c.startOffset).replace(/\r/g, '').length;
    } else {
      lines.push({ depth: depthAt(c.startOffset), code: '', comment: text, startLine: line, endLine: line, first: c.startOffset, last: c.startOffset, lastEnd: c.endOffset! + 1 });
    }
  }
  lines.sort((a, b) => a.first - b.first);

  // blank lines: where the source had at least one, except after '{', before '}' and at the start
  const blankBefore = lines.map((l, i) => {
    if (i === 0) return false;
    const prev = lines[i - 1]!;
    if (prev.role === 'open' || l.role === 'close') return false;
    return l.startLine - prev.endLine >= 2;
  });

  // consecutive party lines align their '='
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && lines[j]!.party && (j === i || !blankBefore[j])) j++;
    if (j > i) {
      const width = Math.max(...lines.slice(i, j).map((l) => l.party!.name.length));
      for (const l of lines.slice(i, j)) l.code = `party ${l.party!.name.padEnd(width)} = ${l.party!.id}`;
      i = j;
    } else i++;
  }

  // end-of-line comments of consecutive lines share a column
  const codeWidth = (l: Line) => INDENT.length * l.depth + l.code.length;
  const commentAt = new Map<Line, number>();
  for (let i = 0; i < lines.length; ) {
    const trailing = (l: Line) => l.code !== '' && l.comment !== undefined;
    if (!trailing(lines[i]!)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < lines.length && trailing(lines[j]!) && !blankBefore[j]) j++;
    const group = lines.slice(i, j);
    const col = Math.max(Math.max(...group.map(codeWidth)) + 2, Math.min(...group.map((l) => codeWidth(l) + l.commentGap!)));
    for (const l of group) commentAt.set(l, col);
    i = j;
  }

  const out: string[] = [];
  lines.forEach((l, i) => {
    if (blankBefore[i]) out.push('');
    const indent = INDENT.repeat(l.depth);
    if (l.code === '') out.push(indent + l.comment!);
    else if (l.comment !== undefined) out.push((indent + l.code).padEnd(commentAt.get(l)!) + l.comment);
    else out.push(indent + l.code);
  });
  return out.join('\n') + '\n';
}

// ---- self-check ------------------------------------------------------------------------------

/** The syntax tree without positions: what the formatter must not change. */
export function syntaxTreeKey(file: SourceFile): string | undefined {
  const r = parseSource(file);
  if (!r.ast) return undefined;
  return JSON.stringify(r.ast, (k, v: unknown) => (k === 'span' || k.endsWith('Span') ? undefined : v));
}

function verify(file: SourceFile, formatted: string): void {
  const before = syntaxTreeKey(file);
  const out: SourceFile = { path: file.path, text: formatted };
  const after = syntaxTreeKey(out);
  if (before === undefined || after !== before) throw new FormatterBug(`${file.path}: the formatted text does not parse to the same pipeline`);
  const comments = (f: SourceFile) => parseSource(f).comments.map((c) => c.image.replace(/\s+$/, '')).join('\n');
  if (comments(file) !== comments(out)) throw new FormatterBug(`${file.path}: the formatted text lost or moved a comment`);
}
