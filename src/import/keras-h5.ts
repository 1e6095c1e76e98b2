// Keras HDF5 model files (`model.save('m.h5')`, Keras 1 to 3): the architecture is the root
// attribute `model_config` (the text of model.to_json()), the weights are datasets under
// `model_weights/<layer>/`, named by each layer group's `weight_names` attribute
// (`conv2d/kernel:0` in Keras 2, `conv2d/kernel` in Keras 3's legacy format).
//
// h5wasm (HDF5 compiled to WebAssembly) initialises asynchronously, while the importer and the
// checker that calls it are synchronous. So a short-lived child Node process reads the file
// and writes it back as what the TF.js readers already take: a layers-model model.json (the
// Keras config as modelTopology, a weightsManifest naming each weight `<layer>/<param>`) and
// one float32 shard. The parent reads both from a temporary directory and removes it.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readRegularFile } from '../util/files.js';
import { zipEntries } from './zip-archive.js';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../diagnostics.js';
import { type JsonObject, isObject, parseJson } from './json.js';
import { fileError } from './messages.js';

export interface KerasH5 {
  /** A TF.js layers-model model.json equivalent of the file. */
  json: JsonObject;
  /** Its one weight shard: every weight as little-endian float32, in manifest order. */
  shard: Uint8Array;
}

/** The child's program: reads the HDF5 file named by PPVC_H5_FILE into PPVC_H5_OUT/{model.json,weights.bin}. */
const CHILD = String.raw`
import h5wasm from 'h5wasm/node';
import { writeFileSync } from 'node:fs';
const file = process.env.PPVC_H5_FILE, out = process.env.PPVC_H5_OUT;
// the reason goes to stdout: the HDF5 library itself writes diagnostics to stderr
const fail = (message) => { process.stdout.write(message); process.exit(3); };
process.on('uncaughtException', (e) => fail('cannot read it as a Keras model: ' + (e && e.message ? e.message : String(e))));
await h5wasm.ready;
const f = new h5wasm.File(file, 'r');
const attr = (obj, name) => { try { return obj.attrs[name]?.value; } catch { return undefined; } };
const text = (v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v);
const list = (v) => (v === undefined || v === null ? [] : typeof v === 'string' ? [v] : Array.from(v, text));
// Keras splits a name list too large for one HDF5 attribute into name0, name1, ...
const names = (obj, name) => {
  if (attr(obj, name) !== undefined) return list(attr(obj, name));
  const out = [];
  for (let i = 0; attr(obj, name + i) !== undefined; i++) out.push(...list(attr(obj, name + i)));
  return out;
};
if (process.env.PPVC_H5_MODE === 'archive') {
  // Keras 3's model.weights.h5: layers/<key>/vars/<i>, nested models as layers/<key>/layers/<key>/vars/<i>,
  // where a key is the layer's class in snake case, numbered per class (conv2d, conv2d_1, ...);
  // the weights are named <key>/<key>/#<i> here, and by layer and parameter in the parent
  const weights = [], chunks = [];
  const walk = (g, name) => {
    for (const k of g.keys()) {
      const c = g.get(k);
      if (!c || c.type !== 'Group') continue;
      if (k === 'vars') {
        const ids = c.keys().filter((v) => /^\d+$/.test(v)).sort((a, b) => a - b);
        for (const i of ids) {
          const d = c.get(i);
          weights.push({ name: name + '/#' + i, shape: d.shape, dtype: 'float32' });
          const v = Float32Array.from(d.value);
          chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        }
      } else if (k !== 'layers') walk(c, name ? name + '/' + k : k);
      else walk(c, name);
    }
  };
  const layers = f.get('layers');
  if (!layers) fail('its model.weights.h5 has no layers group');
  walk(layers, '');
  writeFileSync(out + '/weights.bin', Buffer.concat(chunks));
  writeFileSync(out + '/model.json', JSON.stringify({ format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights }] }));
  process.exit(0);
}
const config = text(attr(f, 'model_config'));
const root = f.get('model_weights') ?? f;
if (config === undefined) fail(names(root, 'layer_names').length ? 'holds weights only (model.save_weights): it has no model_config attribute with the architecture' : 'has no model_config attribute: not a Keras model file');
const half = (h) => {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
};
// Keras 1 names weights <layer>_W, _b, ...: the Keras 2 names, as the importer knows them
const KERAS1 = { W: 'kernel', b: 'bias', gamma: 'gamma', beta: 'beta', running_mean: 'moving_mean', running_std: 'moving_variance', depthwise_kernel: 'depthwise_kernel', pointwise_kernel: 'pointwise_kernel' };
const weights = [], chunks = [];
for (const layer of names(root, 'layer_names')) {
  const g = root.get(layer);
  if (!g) fail('layer_names lists ' + JSON.stringify(layer) + ', which has no group');
  for (const wn of names(g, 'weight_names')) {
    const d = g.get(wn);
    if (!d || d.shape === undefined) fail('weight ' + JSON.stringify(layer + '/' + wn) + ' is missing');
    const raw = d.value;
    const values = /^[<>|]?e$/.test(String(d.dtype)) && raw instanceof Uint16Array ? Float32Array.from(raw, half) : Float32Array.from(raw);
    const parts = wn.replace(/:\d+$/, '').split('/');
    let name;
    if (parts.length >= 2) name = parts.slice(-2).join('/');
    else {
      const k1 = /^(.*?)_(W|b|gamma|beta|running_mean|running_std|depthwise_kernel|pointwise_kernel)$/.exec(parts[0]);
      name = layer + '/' + (k1 ? KERAS1[k1[2]] : parts[0]);
    }
    weights.push({ name, shape: d.shape, dtype: 'float32' });
    chunks.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
}
const version = text(attr(f, 'keras_version'));
writeFileSync(out + '/weights.bin', Buffer.concat(chunks));
writeFileSync(out + '/model.json', JSON.stringify({
  format: 'layers-model',
  generatedBy: 'keras' + (version ? ' v' + version : ''),
  convertedBy: 'ppvc-dsl (from HDF5)',
  modelTopology: { keras_version: version, backend: text(attr(f, 'backend')), model_config: config },
  weightsManifest: [{ paths: ['weights.bin'], weights }],
}));
f.close();
`;

const cache = new Map<string, { stamp: string; result: KerasH5 }>();

/** Reads a Keras .h5 file (cached by path, size and modification time). */
export function readKerasH5(path: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  const stamp = fileStamp(path);
  if (typeof stamp !== 'string') return stamp;
  if (!hasHdf5Signature(path)) return { diagnostics: [fileError(path, 'not an HDF5 file (no HDF5 signature): a Keras .h5 model file was expected')] };
  return cached(path, stamp, () => runReader(resolve(path), 'model', path));
}

/**
 * Reads a Keras 3 `.keras` archive: config.json (the architecture), metadata.json (the Keras
 * version) and model.weights.h5, whose weights are named `<layer>/#<i>` (the i-th variable of
 * the layer; keras-json.ts names them by the architecture's parameter order).
 */
export function readKerasArchive(path: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  const stamp = fileStamp(path);
  if (typeof stamp !== 'string') return stamp;
  return cached(path, stamp, () => {
    const unpacked = zipEntries(readRegularFile(path));
    if (!unpacked.entries) return { diagnostics: [fileError(path, `${unpacked.error}; a Keras 3 .keras archive is a zip file`)] };
    const config = unpacked.entries.get('config.json');
    const weights = unpacked.entries.get('model.weights.h5');
    if (!config || !weights) {
      return {
        diagnostics: [
          fileError(path, `a .keras archive holds config.json and model.weights.h5; this one has ${[...unpacked.entries.keys()].join(', ') || 'no entries'}`),
        ],
      };
    }
    const parsed = parseJson(config.toString('utf8'));
    if (parsed.error !== undefined) return { diagnostics: [fileError(path, `its config.json is not valid JSON: ${parsed.error}`)] };
    const metadata = parseJson(unpacked.entries.get('metadata.json')?.toString('utf8') ?? '{}').value;
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-keras-'));
    try {
      writeFileSync(join(dir, 'model.weights.h5'), weights);
      const r = runReader(join(dir, 'model.weights.h5'), 'archive', path);
      if (!r.h5) return r;
      r.h5.json['modelTopology'] = { keras_version: isObject(metadata) ? (metadata['keras_version'] ?? null) : null, model_config: parsed.value ?? null };
      return r;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** size:mtime of a regular file, or the diagnostic why it is none. */
function fileStamp(path: string): string | { diagnostics: Diagnostic[] } {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { diagnostics: [fileError(path, 'is a directory, not a model file')] };
    if (!st.isFile()) return { diagnostics: [fileError(path, 'not a regular file')] };
    return `${st.size}:${st.mtimeMs}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { diagnostics: [fileError(path, code === 'ENOENT' ? 'no such file' : `cannot read the model file: ${code ?? String(e)}`)] };
  }
}

function cached(path: string, stamp: string, read: () => { h5?: KerasH5; diagnostics: Diagnostic[] }): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  const key = resolve(path);
  const hit = cache.get(key);
  if (hit?.stamp === stamp) return { h5: hit.result, diagnostics: [] };
  const r = read();
  if (r.h5) cache.set(key, { stamp, result: r.h5 });
  return r;
}

/** Runs the child reader on an HDF5 file; messages name `shown` (the user's file). */
function runReader(file: string, mode: 'model' | 'archive', shown: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  const out = mkdtempSync(join(tmpdir(), 'ppvc-h5-'));
  try {
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], {
        cwd: packageRoot(),
        env: { ...process.env, PPVC_H5_FILE: file, PPVC_H5_OUT: out, PPVC_H5_MODE: mode },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 300_000,
      });
    } catch (e) {
      const reason = String((e as { stdout?: Buffer }).stdout ?? '').trim();
      const why = (e as { status?: number }).status === 3 && reason ? reason : `the HDF5 reader failed (${(e as Error).message.split('\n')[0]})`;
      return { diagnostics: [fileError(shown, why, ["a Keras model saved with model.save('model.h5') holds the architecture and the weights"])] };
    }
    const parsed = parseJson(readFileSync(join(out, 'model.json'), 'utf8'));
    if (!isObject(parsed.value)) return { diagnostics: [fileError(shown, 'the HDF5 reader wrote no model')] };
    const json = parsed.value;
    // model_config is the text of to_json(): parse it here, so that a broken one is reported as JSON
    const topology = json['modelTopology'];
    if (isObject(topology) && typeof topology['model_config'] === 'string') {
      const config = parseJson(topology['model_config']);
      if (config.error !== undefined) return { diagnostics: [fileError(shown, `its model_config attribute is not valid JSON: ${config.error}`)] };
      topology['model_config'] = config.value ?? null;
    }
    return { h5: { json, shard: new Uint8Array(readFileSync(join(out, 'weights.bin'))) }, diagnostics: [] };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** HDF5's 8-byte signature, at offset 0 or after a user block (512, 1024, 2048, ... bytes). */
function hasHdf5Signature(path: string): boolean {
  const signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, head, 0, 8, at) === 8 && head.equals(signature)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The directory whose node_modules holds h5wasm (the child resolves it from its working directory). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'node_modules', 'h5wasm'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}
