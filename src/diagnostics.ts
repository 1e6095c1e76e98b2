// Diagnostics: every user-facing problem is a Diagnostic with a source location.
// Errors are collected (not thrown one at a time) so that one run reports all of them.

export interface SourceFile {
  path: string;
  text: string;
}

export interface Span {
  file: SourceFile;
  /** 0-based character offset of the first character. */
  offset: number;
  /** 1-based line and column, as editors show them. */
  line: number;
  col: number;
  length: number;
}

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  message: string;
  span?: Span;
  /** What the compiler expected and what it found, shown under the caret. */
  expected?: string;
  found?: string;
  /** Extra help lines. */
  hints?: string[];
}

/** The exit status a failure maps to: 1 for a user's input, 2 for the environment or the tool. */
export type ExitStatus = 1 | 2;

/** A user's input error that aborts a command (carries one or more diagnostics). */
export class UserError extends Error {
  readonly diagnostics: Diagnostic[];
  readonly exitStatus: ExitStatus = 1;
  constructor(diagnostics: Diagnostic[] | Diagnostic | string) {
    const list =
      typeof diagnostics === 'string'
        ? [{ severity: 'error' as const, message: diagnostics }]
        : Array.isArray(diagnostics)
          ? diagnostics
          : [diagnostics];
    super(list.map((d) => d.message).join('; '));
    this.diagnostics = list;
  }
}

/** A problem with the environment (MP-SPDZ missing, a party failing, ...): exit status 2. */
export class EnvironmentError extends Error {
  readonly exitStatus: ExitStatus = 2;
  readonly hints: string[];
  constructor(message: string, hints: string[] = []) {
    super(message);
    this.hints = hints;
  }
}

/** The offsets at which the lines of a text start: after "\n", after "\r\n", and after a lone "\r" (old Mac files). */
function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

// Built once per source file: messages locate thousands of tokens, and a rescan from offset 0
// for each made checking large files quadratic.
const lineStartCache = new WeakMap<SourceFile, { text: string; starts: number[] }>();

function lineStarts(file: SourceFile): number[] {
  const cached = lineStartCache.get(file);
  if (cached && cached.text === file.text) return cached.starts;
  const starts = computeLineStarts(file.text);
  lineStartCache.set(file, { text: file.text, starts });
  return starts;
}

/** The 0-based index of the line holding `offset` (binary search in the line starts). */
function lineIndexAt(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Computes line and column of an offset. Lines and columns are 1-based. */
export function spanAt(file: SourceFile, offset: number, length = 1): Span {
  const starts = lineStarts(file);
  // an offset past the end counts from the last line start within the text, as the old scan did
  const index = lineIndexAt(starts, Math.min(offset, file.text.length));
  return { file, offset, line: index + 1, col: offset - starts[index]! + 1, length: Math.max(1, length) };
}

/** The text of a 1-based line, without its line break. */
export function sourceLine(file: SourceFile, line: number): string {
  const starts = lineStarts(file);
  const start = starts[line - 1];
  if (start === undefined) return '';
  const end = starts[line] ?? file.text.length;
  return file.text.slice(start, end).replace(/\r?\n$|\r$/, '');
}

export function spanBetween(a: Span, b: Span): Span {
  return { ...a, length: Math.max(1, b.offset + b.length - a.offset) };
}

export function errorAt(span: Span | undefined, message: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { severity: 'error', message, span, ...extra };
}

export function warningAt(span: Span | undefined, message: string, extra: Partial<Diagnostic> = {}): Diagnostic {
  return { severity: 'warning', message, span, ...extra };
}

/**
 * Control characters from input files (ESC sequences, BEL, NUL) shown as \\xNN, so that a
 * message quoting a file cannot drive the user's terminal. Newlines and tabs stay.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Renders `file:line:col: error: message`, the source line, a caret, and expected/found. */
export function formatDiagnostic(d: Diagnostic): string {
  return printable(formatRaw(d));
}

function formatRaw(d: Diagnostic): string {
  const out: string[] = [];
  const where = d.span ? `${d.span.file.path}:${d.span.line}:${d.span.col}: ` : '';
  out.push(`${where}${d.severity}: ${d.message}`);
  if (d.span) {
    const frame = frameWindow(sourceLine(d.span.file, d.span.line), d.span.col - 1);
    const gutter = String(d.span.line).padStart(4);
    out.push(`${gutter} | ${frame.text}`);
    const caretLen = Math.max(1, Math.min(d.span.length, frame.text.length - frame.caret));
    out.push(`${' '.repeat(gutter.length)} | ${' '.repeat(frame.caret)}${'^'.repeat(caretLen)}`);
  }
  if (d.expected !== undefined) out.push(`     = expected: ${d.expected}`);
  if (d.found !== undefined) out.push(`     = found:    ${d.found}`);
  for (const h of d.hints ?? []) out.push(`     = help: ${h}`);
  return out.join('\n');
}

/** The widest source line a code frame shows; a longer one is cut around the column, with … marks. */
const FRAME_WIDTH = 120;

/** The part of a source line a code frame shows, and where the caret (0-based column `col`) falls in it. */
function frameWindow(line: string, col: number): { text: string; caret: number } {
  if (line.length <= FRAME_WIDTH) return { text: line, caret: col };
  // a third of the window before the column, so the caret's context on both sides is visible
  const start = Math.max(0, Math.min(col - Math.floor(FRAME_WIDTH / 3), line.length - FRAME_WIDTH));
  const end = start + FRAME_WIDTH;
  const before = start > 0 ? '…' : '';
  const after = end < line.length ? '…' : '';
  return { text: before + line.slice(start, end) + after, caret: col - start + before.length };
}

/** How many errors (and, separately, warnings) of one file are printed; the rest are counted. */
export const MAX_PRINTED_PER_FILE = 20;

/**
 * Diagnostics rendered for the terminal, at most MAX_PRINTED_PER_FILE errors and as many
 * warnings per file, then "... and N more errors": a file of 16,000 errors printed 387 MB.
 */
export function formatDiagnostics(ds: Diagnostic[], limit = MAX_PRINTED_PER_FILE): string[] {
  const shown = new Map<string, number>();
  const omitted = new Map<Severity, number>();
  const out: string[] = [];
  for (const d of ds) {
    const key = `${d.severity}\0${d.span?.file.path ?? ''}`;
    const n = shown.get(key) ?? 0;
    if (n >= limit) {
      omitted.set(d.severity, (omitted.get(d.severity) ?? 0) + 1);
      continue;
    }
    shown.set(key, n + 1);
    out.push(formatDiagnostic(d));
  }
  for (const [severity, n] of omitted) out.push(`... and ${n} more ${severity}${n === 1 ? '' : 's'}`);
  return out;
}

export function diagnosticToJson(d: Diagnostic): Record<string, unknown> {
  return {
    severity: d.severity,
    message: d.message,
    file: d.span?.file.path,
    line: d.span?.line,
    col: d.span?.col,
    expected: d.expected,
    found: d.found,
    hints: d.hints,
  };
}

export function hasErrors(ds: Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
