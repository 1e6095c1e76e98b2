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
 * A plain decimal token with at most 15 significant digits is converted directly, correctly
 * rounded (an integer below 2^53 divided or multiplied by an exact power of ten up to 10^22
 * rounds once); any other token goes through Number(), like readValues.
 */
export function parseValues64(input: Uint8Array | string, path: string): Float64Array {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // one byte per character: positions in the string are byte offsets
  const text = buf.toString('latin1');
  const n = text.length;
  let capacity = 1024;
  let out = new Float64Array(capacity);
  let count = 0;
  let line = 1;
  let i = 0;
  while (i < n) {
    let cls = CLASS[text.charCodeAt(i)]!;
    if (cls === 2) {
      line++;
      i++;
      continue;
    }
    if (cls === 1) {
      i++;
      continue;
    }
    // one token: sign? digits [. digits] [e sign? digits]
    const start = i;
    let negative = false;
    if (cls === 5) {
      negative = text.charCodeAt(i) === CH_MINUS;
      i++;
    }
    let mantissa = 0;
    let digits = 0;
    let significant = 0;
    let scale = 0;
    let fast = true;
    let seenDot = false;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      cls = CLASS[c]!;
      if (cls === 3) {
        digits++;
        if (significant > 0 || c !== CH_0) significant++;
        mantissa = mantissa * 10 + (c - CH_0);
        if (seenDot) scale--;
      } else if (cls === 4 && !seenDot) seenDot = true;
      else break;
    }
    if (i < n && cls === 6 && digits > 0) {
      i++;
      let expNegative = false;
      if (i < n && CLASS[text.charCodeAt(i)] === 5) {
        expNegative = text.charCodeAt(i) === CH_MINUS;
        i++;
      }
      let e = 0;
      let expDigits = 0;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (CLASS[c] !== 3) break;
        if (expDigits < 6) e = e * 10 + (c - CH_0);
        expDigits++;
      }
      if (expDigits === 0) fast = false;
      scale += expNegative ? -e : e;
    }
    // anything else up to the next white space makes the token slow (and most likely an error)
    while (i < n && CLASS[text.charCodeAt(i)]! > 2) {
      fast = false;
      i++;
    }
    if (i < n && CLASS[text.charCodeAt(i)] === 0) {
      fast = false;
      while (i < n && CLASS[text.charCodeAt(i)]! !== 1 && CLASS[text.charCodeAt(i)]! !== 2) i++;
    }
    let v = NaN;
    if (fast && digits > 0 && significant <= 15) {
      if (mantissa === 0) v = 0;
      else if (scale >= 0 && scale <= 22) v = mantissa * POW10[scale]!;
      else if (scale < 0 && scale >= -22) v = mantissa / POW10[-scale]!;
      if (negative) v = -v;
    }
    if (Number.isNaN(v)) v = slowNumber(text, start, i);
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

/** Number() of a token made of digits, '.', signs and 'e' only (as readValues accepts); NaN otherwise. */
function slowNumber(text: string, start: number, end: number): number {
  for (let j = start; j < end; j++) if (CLASS[text.charCodeAt(j)]! < 3) return NaN;
  return Number(text.slice(start, end));
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
