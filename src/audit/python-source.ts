// Python's own reading of a source text for the leak audit: `ast.parse` validates it and
// `tokenize` lexes it (src/audit/python/tokens.py, run with python3, one process per text).
// A text Python rejects is a UserError naming its file, line and column with Python's message;
// no python3 on PATH is an EnvironmentError (exit 2).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EnvironmentError, UserError } from '../diagnostics.js';

export type TokKind = 'name' | 'number' | 'string' | 'op' | 'newline';

export interface Tok {
  kind: TokKind;
  /** Source text; for names NFKC-normalised, as Python compares identifiers. */
  text: string;
  /** For strings: the literal body (without prefix and quotes). */
  value?: string;
  /** Offsets into the source in UTF-16 code units (JavaScript string indices). */
  start: number;
  end: number;
  line: number;
  /** 0-based column: 0 for a statement at module level. */
  col: number;
}

/** Where a text comes from, to name it in a syntax error. */
export interface SourceOrigin {
  file?: string;
  /** For each line of the text (0-based), the line of `file` it comes from (code extracted from a patch). */
  lines?: number[];
}

export interface PythonTokens {
  toks: Tok[];
  /** [start, end) of each comment, to leave them out of quoted expressions. */
  comments: [number, number][];
}

type RawTok = [TokKind, string, number, number, number, number, string?];
type Reply = { toks: RawTok[]; comments: [number, number][] } | { error: { line: number; col: number; message: string } };

const SCRIPT = fileURLToPath(new URL('./python/tokens.py', import.meta.url));

/** Replies by source text: the program and its helper code are read by the audit and by truncationIn. */
const replies = new Map<string, Reply>();
const REMEMBERED = 64;

/** Tokens and comments of a Python source, as Python reads it. */
export function readPython(src: string, origin: SourceOrigin = {}): PythonTokens {
  const reply = replies.get(src) ?? runPython(src);
  replies.delete(src);
  replies.set(src, reply);
  if (replies.size > REMEMBERED) replies.delete(replies.keys().next().value!);
  if ('error' in reply) {
    const { line, col, message } = reply.error;
    const at = origin.lines ? (origin.lines[line - 1] ?? line) : line;
    throw new UserError(`${origin.file ?? '<python>'}:${at}:${col}: not valid Python: ${message}`);
  }
  const toks = reply.toks.map(([kind, text, start, end, line, col, value]): Tok => ({ kind, text, value, start, end, line, col }));
  return { toks, comments: reply.comments.map(([a, b]) => [a, b]) };
}

function runPython(src: string): Reply {
  const r = spawnSync('python3', ['-I', SCRIPT], { input: src, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new EnvironmentError(`the audit reads Python with python3, which ${missing ? 'is not on PATH' : `failed to start: ${r.error.message}`}`, [
      'install Python 3 (python3 on PATH; MP-SPDZ needs it anyway)',
    ]);
  }
  if (r.status !== 0) throw new EnvironmentError(`python3 ${SCRIPT} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Reply;
}
