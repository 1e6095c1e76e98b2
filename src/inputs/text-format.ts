// MP-SPDZ's text input format: numbers separated by white space, one per line here.
// Fixed-point values are written with enough digits to round-trip float32 exactly.
import { UserError } from '../diagnostics.js';
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
  const exact = readValues64(path);
  const out = Float32Array.from(exact);
  for (let i = 0; i < out.length; i++) {
    // 1e300 would become Infinity: name the value as written
    if (!Number.isFinite(out[i]!)) throw new UserError(`${path}: element ${i} is ${exact[i]}, out of range (beyond float32, let alone MP-SPDZ's fixed point)`);
  }
  return out;
}
