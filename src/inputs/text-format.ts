// MP-SPDZ's text input format: numbers separated by white space, one per line here.
// Fixed-point values are written with enough digits to round-trip float32 exactly.
import { readFileSync } from 'node:fs';
import { UserError } from '../diagnostics.js';

export function formatValues(values: ArrayLike<number>): string {
  const out: string[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = Number.isInteger(v) ? String(v) : String(Math.fround(v));
  }
  return out.join('\n') + '\n';
}

/** Reads a whole input file; every token must be a finite number. */
export function readValues(path: string): Float32Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  const out = new Float32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const v = Number(tokens[i]);
    if (!Number.isFinite(v) || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(tokens[i]!)) {
      throw new UserError(`${path}: element ${i} (line ${lineOf(text, i)}) is not a number: '${tokens[i]!.slice(0, 40)}'`);
    }
    out[i] = v;
  }
  return out;
}

function lineOf(text: string, index: number): number {
  let count = -1;
  let line = 1;
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const ws = /\s/.test(text[i]!);
    if (!ws && !inToken) {
      count++;
      if (count === index) return line;
    }
    inToken = !ws;
    if (text[i] === '\n') line++;
  }
  return line;
}
