// Reads an MP-SPDZ text input file as float64: the value MP-SPDZ itself sees (its FixInput reads
// a C++ double, then rounds x * 2^f to an integer), where src/inputs/text-format.ts's readValues
// gives float32 for the reference evaluator. Same accepted syntax and error messages as
// readValues, but a single pass over the bytes (an input file of a 1.5M-parameter model reads in
// a fraction of a second).
import { readFileSync } from 'node:fs';
import { UserError } from '../diagnostics.js';

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_PLUS = 43;
const CH_MINUS = 45;
const CH_E = 101;
const CH_BIG_E = 69;
const CH_NL = 10;

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isNumberChar(c: number): boolean {
  return (c >= CH_0 && c <= CH_9) || c === CH_DOT || c === CH_PLUS || c === CH_MINUS || c === CH_E || c === CH_BIG_E;
}

/** The numbers of an MP-SPDZ text input (white-space separated) as float64; every token must be a finite decimal number. */
export function readValues64(path: string): Float64Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseValues64(buf, path);
}

/** Parses the text of an input file (bytes or a string); `path` names it in error messages. */
export function parseValues64(input: Uint8Array | string, path: string): Float64Array {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const n = buf.length;
  // upper bound of the token count: one per newline-separated line is the usual layout
  let capacity = 1024;
  let out = new Float64Array(capacity);
  let count = 0;
  let line = 1;
  let i = 0;
  while (i < n) {
    let c = buf[i]!;
    if (isSpace(c)) {
      if (c === CH_NL) line++;
      i++;
      continue;
    }
    const start = i;
    let plain = true;
    while (i < n) {
      c = buf[i]!;
      if (isSpace(c)) break;
      if (!isNumberChar(c)) plain = false;
      i++;
    }
    const token = buf.toString('latin1', start, i);
    const v = plain ? Number(token) : NaN;
    if (!Number.isFinite(v)) {
      const shown = buf.toString('utf8', start, Math.min(i, start + 160)).slice(0, 40);
      throw new UserError(`${path}: element ${count} (line ${line}) is not a number: '${shown}'`);
    }
    if (count === capacity) {
      capacity *= 2;
      const bigger = new Float64Array(capacity);
      bigger.set(out);
      out = bigger;
    }
    out[count++] = v;
  }
  return out.slice(0, count);
}

/**
 * Whether a file looks like an MP-SPDZ text input (numbers and white space only in its first
 * 64 KiB) rather than a video or other binary file.
 */
export function looksLikeValues(head: Uint8Array): boolean {
  if (head.length === 0) return true;
  for (let i = 0; i < head.length; i++) {
    const c = head[i]!;
    if (!isSpace(c) && !isNumberChar(c)) return false;
  }
  return true;
}
