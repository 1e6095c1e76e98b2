// The attributes of a GraphDef node as the TF.js converter writes them, read by type.
import { type Json, type JsonObject, isArray, isObject, num, str } from './json.js';

/** A TensorShapeProto's sizes ({dim: [{size}]}), or undefined if it is not one. */
export function dims(shape: Json | undefined): number[] | undefined {
  if (!isObject(shape)) return undefined;
  const d = shape['dim'];
  if (d === undefined) return [];
  if (!isArray(d)) return undefined;
  const out: number[] = [];
  for (const x of d) {
    const n = isObject(x) ? Number(x['size'] ?? NaN) : NaN;
    if (!Number.isInteger(n)) return undefined;
    out.push(n);
  }
  return out;
}

/** GraphDef attribute values: {s: base64}, {i: "1"}, {f: 0.5}, {b: true}, {list: {i|s: [...]}}, {shape}. */
export class Attrs {
  constructor(private readonly attr: JsonObject) {}

  private get(key: string): JsonObject | undefined {
    const v = this.attr[key];
    return isObject(v) ? v : undefined;
  }

  string(key: string): string | undefined {
    const s = str(this.get(key)?.['s']);
    return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
  }

  bool(key: string): boolean | undefined {
    const b = this.get(key)?.['b'];
    return typeof b === 'boolean' ? b : undefined;
  }

  float(key: string): number | undefined {
    return num(this.get(key)?.['f']);
  }

  ints(key: string): number[] | undefined {
    const list = this.get(key)?.['list'];
    const i = isObject(list) ? list['i'] : undefined;
    if (!isArray(i)) return undefined;
    const out = i.map((v) => Number(v));
    return out.every(Number.isInteger) ? out : undefined;
  }

  strings(key: string): string[] | undefined {
    const list = this.get(key)?.['list'];
    const s = isObject(list) ? list['s'] : undefined;
    if (!isArray(s)) return undefined;
    return s.map((v) => Buffer.from(String(v), 'base64').toString('utf8'));
  }

  shape(key: string): number[] | undefined {
    return dims(this.get(key)?.['shape']);
  }
}
