// Typed reads of one Keras layer config. Keys are looked up under their Keras 2/3 name and
// their Keras 1 aliases (nb_filter, subsample, border_mode, ...); a wrong type is collected
// as a problem (reported with the layer's name) instead of being coerced or thrown.
import type { DataFormat, Padding } from './imported-model.js';
import { type Json, type JsonObject, isArray, isObject, num, show, str } from './json.js';

export class ConfigReader {
  readonly problems: string[] = [];

  constructor(readonly config: JsonObject) {}

  /** The first of `keys` that is present and not null. */
  get(keys: string | readonly string[]): { key: string; value: Json } | undefined {
    for (const key of typeof keys === 'string' ? [keys] : keys) {
      const value = this.config[key];
      if (value !== undefined && value !== null) return { key, value };
    }
    return undefined;
  }

  has(keys: string | readonly string[]): boolean {
    return this.get(keys) !== undefined;
  }

  problem(message: string): undefined {
    this.problems.push(message);
    return undefined;
  }

  positiveInt(keys: string | readonly string[], fallback?: number): number | undefined {
    const v = this.get(keys);
    if (!v) return fallback ?? this.problem(`missing ${first(keys)}`);
    if (!Number.isInteger(v.value) || (v.value as number) < 1) return this.problem(`${v.key} must be a positive integer, found ${show(v.value)}`);
    return v.value as number;
  }

  number(keys: string | readonly string[], fallback?: number): number | undefined {
    const v = this.get(keys);
    if (!v) return fallback;
    const n = num(v.value);
    return n ?? this.problem(`${v.key} must be a number, found ${show(v.value)}`);
  }

  bool(keys: string | readonly string[], fallback: boolean): boolean {
    const v = this.get(keys);
    if (!v) return fallback;
    if (typeof v.value !== 'boolean') {
      this.problem(`${v.key} must be true or false, found ${show(v.value)}`);
      return fallback;
    }
    return v.value;
  }

  string(keys: string | readonly string[], fallback?: string): string | undefined {
    const v = this.get(keys);
    if (!v) return fallback;
    return str(v.value) ?? this.problem(`${v.key} must be a string, found ${show(v.value)}`);
  }

  /** An int n (meaning [n, n]) or a pair [a, b] of positive integers. */
  pair(keys: string | readonly string[], fallback?: [number, number]): [number, number] | undefined {
    const v = this.get(keys);
    if (!v) return fallback ?? this.problem(`missing ${first(keys)}`);
    const p = Number.isInteger(v.value) ? [v.value, v.value] : v.value;
    if (!isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && (x as number) >= 1)) {
      return this.problem(`${v.key} must be a positive integer or a pair of them, found ${show(v.value)}`);
    }
    return [p[0] as number, p[1] as number];
  }

  /** Keras 1's [nb_row, nb_col] or Keras 2's kernel_size. */
  kernel(): [number, number] | undefined {
    if (this.has('kernel_size')) return this.pair('kernel_size');
    const rows = this.positiveInt('nb_row');
    const cols = this.positiveInt('nb_col');
    return rows !== undefined && cols !== undefined ? [rows, cols] : undefined;
  }

  padding(): Padding | undefined {
    const v = this.string(['padding', 'border_mode'], 'valid');
    if (v === undefined) return undefined;
    const p = v.toLowerCase();
    if (p === 'valid' || p === 'same') return p;
    return this.problem(`padding '${v}' is not supported (only 'valid' and 'same')`);
  }

  /** data_format (Keras 2/3) or dim_ordering (Keras 1: 'th' = channels first, 'tf' = last). */
  dataFormat(inherited: DataFormat | undefined): DataFormat {
    const v = this.get(['data_format', 'dim_ordering']);
    if (!v) return inherited ?? 'channels_last';
    switch (v.value) {
      case 'channels_last':
      case 'tf':
        return 'channels_last';
      case 'channels_first':
      case 'th':
        return 'channels_first';
      case 'default':
        return inherited ?? 'channels_last';
      default:
        this.problem(`${v.key} must be channels_last or channels_first, found ${show(v.value)}`);
        return 'channels_last';
    }
  }

  /**
   * The activation's name. Keras writes a string; Keras 3 / tf.keras may write a serialized
   * function {class_name: "function", config: "relu"}; QKeras writes quantizer objects.
   */
  activation(key = 'activation'): string {
    const v = this.config[key];
    if (v === undefined || v === null) return 'linear';
    if (typeof v === 'string') return v.toLowerCase();
    if (isObject(v)) {
      const inner = str(v['config']);
      if (inner !== undefined) return inner.toLowerCase();
      const cls = str(v['class_name']);
      if (cls !== undefined) return cls.toLowerCase();
    }
    this.problem(`${key} must be an activation name, found ${show(v)}`);
    return 'linear';
  }

  /** A Keras axis (counting the batch axis; int or Keras 3's [int]) -> 0-based per-example axis. */
  axis(keys: string | readonly string[], fallback: number, rank: number): number | undefined {
    const v = this.get(keys);
    let a: Json = v ? v.value : fallback;
    if (isArray(a) && a.length === 1) a = a[0]!;
    if (!Number.isInteger(a)) return this.problem(`${v?.key ?? first(keys)} must be one integer axis, found ${show(v?.value)}`);
    const n = a as number;
    const axis = n < 0 ? rank + n : n - 1;
    if (axis < 0 || axis >= rank) return this.problem(`axis ${n} is out of range for a rank-${rank} input (plus the batch axis)`);
    return axis;
  }
}

function first(keys: string | readonly string[]): string {
  return typeof keys === 'string' ? keys : keys[0]!;
}
