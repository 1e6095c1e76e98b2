// TF.js weight shards: model.json's weightsManifest lists groups of binary shard files;
// each group's shards, concatenated, hold its weights back to back in manifest order,
// little-endian. Quantized weights (tensorflowjs_converter --quantize_*) are stored as
// uint8/uint16 with an affine (min, scale) or as float16, and dequantized here.
import { basename, dirname, isAbsolute, join, posix } from 'node:path';
import { type Diagnostic, UserError } from '../diagnostics.js';
import { readRegularFile, readTextFile } from '../util/files.js';
import { type Json, type JsonObject, isArray, isObject, num, parseJson, show, str } from './json.js';
import { fileError } from './messages.js';

export interface WeightTensor {
  shape: number[];
  values: Float32Array;
  /** The dtype the values stand for (float32, int32, bool), before any quantization. */
  dtype: string;
}

export interface WeightsResult {
  weights?: Map<string, WeightTensor>;
  diagnostics: Diagnostic[];
  /** The shard files read (loadTfjsWeights), so that a command does not write over them. */
  files?: string[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Reads the weights of a TF.js model.json (layers or graph model); throws a UserError on problems. */
export function readTfjsWeights(modelJsonPath: string): Map<string, { shape: number[]; values: Float32Array }> {
  const r = loadTfjsWeights(modelJsonPath);
  if (!r.weights) throw new UserError(r.diagnostics);
  return r.weights;
}

/** Like readTfjsWeights, with problems as diagnostics. `json` saves re-reading model.json. */
export function loadTfjsWeights(modelJsonPath: string, json?: JsonObject): WeightsResult {
  let model: Json | undefined = json;
  if (!model) {
    let text: string;
    try {
      text = readTextFile(modelJsonPath);
    } catch (e) {
      if (e instanceof UserError) return { diagnostics: e.diagnostics };
      return { diagnostics: [fileError(modelJsonPath, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)] };
    }
    const parsed = parseJson(text);
    if (parsed.error !== undefined) return { diagnostics: [fileError(modelJsonPath, `not valid JSON: ${parsed.error}`)] };
    model = parsed.value;
  }
  if (!isObject(model)) return { diagnostics: [fileError(modelJsonPath, 'not a TF.js model.json (expected an object)')] };
  const dir = dirname(modelJsonPath);
  const files: string[] = [];
  const read = (p: string) => {
    files.push(join(dir, p));
    return readRegularFile(join(dir, p));
  };
  return { ...decodeWeights(model['weightsManifest'], read, modelJsonPath), files };
}

/** Decodes a weightsManifest given a shard reader (pure: tests pass in-memory shards). */
export function decodeWeights(manifest: Json | undefined, readShard: (path: string) => Uint8Array, file: string): WeightsResult {
  const fail = (msg: string, hints?: string[]): WeightsResult => ({ diagnostics: [fileError(file, msg, hints)] });
  if (!isArray(manifest)) return fail(`weightsManifest must be a list of groups, found ${show(manifest)}`);
  const weights = new Map<string, WeightTensor>();
  for (const [g, group] of manifest.entries()) {
    if (!isObject(group) || !isArray(group['paths']) || !isArray(group['weights'])) return fail(`weightsManifest group ${g} needs "paths" and "weights"`);
    const shards: Uint8Array[] = [];
    for (const p of group['paths']) {
      if (typeof p !== 'string') return fail(`weightsManifest group ${g}: a path is not a string (${show(p)})`);
      // shards sit beside model.json: a manifest must not make us read /etc/passwd as weights
      const normal = posix.normalize(p.replaceAll('\\', '/'));
      if (isAbsolute(p) || posix.isAbsolute(normal) || /^[A-Za-z]:/.test(p) || normal === '..' || normal.startsWith('../')) {
        return fail(`weight shard '${p}' is outside the model's directory; the manifest's paths must be relative to model.json and stay beside it`);
      }
      try {
        shards.push(readShard(p));
      } catch (e) {
        if (e instanceof UserError) return fail(`weight shard ${e.message}`);
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          // in the user's terms: which file, where it was looked for, and who said so
          const where = join(dirname(file), normal);
          return fail(`weight shard '${p}' is missing: the model's weightsManifest names it, so it must be at ${where}, beside the model file (ENOENT)`, [
            `put the shard there, beside ${basename(file)}: a TF.js model is its model.json and every shard that names, in one directory`,
          ]);
        }
        return fail(`cannot read weight shard '${p}' (${join(dirname(file), normal)}): ${code ?? String(e)}`);
      }
    }
    const bytes = concat(shards);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const w of group['weights']) {
      const entry = readEntry(w);
      if (typeof entry === 'string') return fail(`weightsManifest group ${g}: ${entry}`);
      const { name, shape, dtype, quant } = entry;
      const count = shape.reduce((a, b) => a * b, 1);
      const stored = quant?.dtype ?? dtype;
      const size = BYTES[stored];
      if (size === undefined) return fail(`weight '${name}': dtype '${stored}' is not supported (float32, int32, bool, or uint8/uint16/float16 quantization)`);
      if (offset + count * size > bytes.byteLength) {
        return fail(`weight '${name}' needs bytes ${offset}..${offset + count * size} but the shards of group ${g} hold ${bytes.byteLength}`);
      }
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        const at = offset + i * size;
        switch (stored) {
          case 'float32':
            values[i] = view.getFloat32(at, true);
            break;
          case 'int32':
            values[i] = view.getInt32(at, true);
            break;
          case 'bool':
          case 'uint8':
            values[i] = view.getUint8(at);
            break;
          case 'uint16':
            values[i] = view.getUint16(at, true);
            break;
          case 'float16':
            values[i] = halfToFloat(view.getUint16(at, true));
            break;
        }
      }
      if (quant && quant.dtype !== 'float16') {
        for (let i = 0; i < count; i++) values[i] = values[i]! * quant.scale + quant.min;
      }
      offset += count * size;
      if (weights.has(name)) return fail(`weight '${name}' appears twice in the manifest`);
      weights.set(name, { shape, values, dtype });
    }
    // bytes beyond the manifest's weights mean the manifest and the shards do not belong together
    if (offset !== bytes.byteLength) {
      const paths = group['paths'] as string[];
      const what = paths.length === 1 ? join(dirname(file), paths[0]!) : `the shards of group ${g} (${paths.join(', ')})`;
      return fail(`${what} ${paths.length === 1 ? 'has' : 'have'} ${bytes.byteLength} bytes, the manifest describes ${offset}`);
    }
  }
  return { weights, diagnostics: [] };
}

interface Entry {
  name: string;
  shape: number[];
  dtype: string;
  quant?: { dtype: string; min: number; scale: number };
}

function readEntry(w: Json): Entry | string {
  if (!isObject(w)) return `a weight entry is not an object (${show(w)})`;
  const name = str(w['name']);
  const shape = w['shape'];
  if (name === undefined) return `a weight entry has no name (${show(w)})`;
  if (!isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) return `weight '${name}': invalid shape ${show(shape)}`;
  const q = w['quantization'];
  const entry: Entry = { name, shape: shape as number[], dtype: str(w['dtype']) ?? 'float32' };
  if (q !== undefined && q !== null) {
    const qd = isObject(q) ? str(q['dtype']) : undefined;
    if (!isObject(q) || (qd !== 'uint8' && qd !== 'uint16' && qd !== 'float16')) return `weight '${name}': unsupported quantization ${show(q)}`;
    const min = num(q['min']);
    const scale = num(q['scale']);
    if (qd !== 'float16' && (min === undefined || scale === undefined)) return `weight '${name}': ${qd} quantization needs min and scale`;
    entry.quant = { dtype: qd, min: min ?? 0, scale: scale ?? 1 };
    entry.dtype = str(q['original_dtype']) ?? entry.dtype;
  }
  return entry;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** IEEE 754 half precision -> number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
