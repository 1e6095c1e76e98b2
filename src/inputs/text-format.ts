// MP-SPDZ's text input format: numbers separated by white space, one per line here.
// Fixed-point values are written with enough digits to round-trip float32 exactly.
import { readValues64 } from './read-values.js';

export function formatValues(values: ArrayLike<number>): string {
  const out: string[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out[i] = Number.isInteger(v) ? String(v) : String(Math.fround(v));
  }
  return out.join('\n') + '\n';
}

/** Reads a whole input file; every token must be a finite number (messages name the element and line). */
export function readValues(path: string): Float32Array {
  return Float32Array.from(readValues64(path));
}
