// Reads an MP-SPDZ text input file as float64: the value MP-SPDZ itself sees (its FixInput reads
// a C++ double, then rounds x * 2^f to an integer), where src/inputs/text-format.ts's readValues
// gives float32 for the reference evaluator. Same accepted syntax and error messages as
// readValues, but a single pass over the bytes (an input file of a 1.5M-parameter model reads in
// a fraction of a second).
import { UserError } from '../diagnostics.js';
import { readRegularFile, unreadable } from '../util/files.js';

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_PLUS = 43;
const CH_MINUS = 45;
const CH_E = 101;
const CH_BIG_E = 69;
const CH_NL = 10;


/** The numbers of an MP-SPDZ text input (white-space separated) as float64; every token must be a finite decimal number. */
export function readValues64(path: string): Float64Array {
  let buf: Buffer;
  try {
    buf = readRegularFile(path);
  } catch (e) {
    throw unreadable(path, e);
  }
  return parseValues64(buf, path);
}

/** Byte classes: 0 other, 1 white space (newline 2), 3 digit, 4 '.', 5 sign, 6 'e'/'E'. */
const CLASS = new Uint8Array(256);
for (const c of [32, 9, 11, 12, 13]) CLASS[c] = 1;
CLASS[CH_NL] = 2;
for (let c = CH_0; c <= CH_9; c++) CLASS[c] = 3;
CLASS[CH_DOT] = 4;
CLASS[CH_PLUS] = 5;
CLASS[CH_MINUS] = 5;
CLASS[CH_E] = 6;
CLASS[CH_BIG_E] = 6;

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact doubles

/**
 * Parses the text of an input file (bytes or a string); `path` names it in error messages.
 * Short plain decimals (at most 15 significant digits) are converted directly, correctly rounded
 * (an integer below 2^53 divided or multiplied by an exact power of ten up to 10^22 rounds
 * once); longer ones go through Number(). Only digits, '.', signs and 'e'/'E' may make up a
 * token, and Number() must accept it (as readValues).
 */
export function parseValues64(input: Uint8Array | string, path: string): Float64Array {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // one character per byte: positions in the string are byte offsets
  const text = buf.toString('latin1');
  const n = text.length;
  let capacity = 1024;
  let out = new Float64Array(capacity);
  let count = 0;
  let line = 1;
  let i = 0;
  while (i < n) {
    const cls = CLASS[text.charCodeAt(i)]!;
    if (cls <= 2) {
      if (cls === 0) {
        // a character no number has: report the whole token
        const start = i;
        while (i < n && CLASS[text.charCodeAt(i)]! !== 1 && CLASS[text.charCodeAt(i)]! !== 2) i++;
        fail(buf, path, count, line, start, i);
      }
      if (cls === 2) line++;
      i++;
      continue;
    }
    const start = i;
    let plain = true;
    for (; i < n; i++) {
      const c = CLASS[text.charCodeAt(i)]!;
      if (c <= 2) {
        if (c === 0) plain = false;
        else break;
      }
    }
    let v = i - start <= 17 && plain ? shortDecimal(text, start, i) : NaN;
    if (Number.isNaN(v) && plain) v = Number(text.slice(start, i));
    if (!Number.isFinite(v)) fail(buf, path, count, line, start, i);
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

function fail(buf: Buffer, path: string, index: number, line: number, start: number, end: number): never {
  const shown = buf.toString('utf8', start, Math.min(end, start + 160)).slice(0, 40);
  throw new UserError(`${path}: element ${index} (line ${line}) is not a number: '${shown}'`);
}

/** A token [-+]digits[.digits][e[-+]digits] with at most 15 significant digits, exactly; NaN for anything else. */
function shortDecimal(text: string, start: number, end: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === CH_MINUS;
  if (c === CH_MINUS || c === CH_PLUS) i++;
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  let seenDot = false;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) {
      digits++;
      if (significant > 0 || c !== CH_0) significant++;
      mantissa = mantissa * 10 + (c - CH_0);
      if (seenDot) scale--;
    } else if (c === CH_DOT && !seenDot) seenDot = true;
    else break;
  }
  if (digits === 0 || significant > 15) return NaN;
  if (i < end) {
    if (c !== CH_E && c !== CH_BIG_E) return NaN;
    i++;
    c = text.charCodeAt(i);
    const expNegative = c === CH_MINUS;
    if (c === CH_MINUS || c === CH_PLUS) i++;
    if (i >= end) return NaN;
    let e = 0;
    for (; i < end; i++) {
      c = text.charCodeAt(i);
      if (c < CH_0 || c > CH_9) return NaN;
      e = e * 10 + (c - CH_0);
    }
    scale += expNegative ? -e : e;
  }
  let v: number;
  if (mantissa === 0) v = 0;
  else if (scale >= 0 && scale <= 22) v = mantissa * POW10[scale]!;
  else if (scale < 0 && scale >= -22) v = mantissa / POW10[-scale]!;
  else return NaN;
  return negative ? -v : v;
}

/**
 * Whether a file looks like an MP-SPDZ text input (numbers and white space only in its first
 * 64 KiB) rather than a video or other binary file.
 */
export function looksLikeValues(head: Uint8Array): boolean {
  if (head.length === 0) return true;
  for (let i = 0; i < head.length; i++) {
    const c = head[i]!;
    if (CLASS[c] === 0) return false;
  }
  return true;
}
