// Keras's own model files, both read with h5wasm:
//  - HDF5 (`model.save('m.h5')`, Keras 1 to 3): the architecture is the root attribute
//    `model_config` (the text of model.to_json()), the weights are datasets under
//    `model_weights/<layer>/`, named by each layer group's `weight_names` attribute
//    (`conv2d/kernel:0` in Keras 2, `sequential/conv2d/kernel` in Keras 3's legacy format);
//  - Keras 3 archives (`model.save('m.keras')`): a zip of config.json (the architecture),
//    metadata.json and model.weights.h5, whose weights sit under keys made from the layers'
//    classes (`layers/conv2d_1/vars/0`), mapped to the layers here.
//
// h5wasm initialises asynchronously, while the importer and the checker that calls it are
// synchronous. So a short-lived child Node process reads the HDF5 data and writes it back as
// what the TF.js readers already take: a layers-model model.json (a weightsManifest naming each
// weight `<layer>/<param>`, or `<layer>/#<i>` for an archive's i-th variable, which
// keras-json.ts matches by parameter order) and one float32 shard, in a temporary directory.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Diagnostic, UserError } from '../diagnostics.js';
import { readRegularFile, statInput } from '../util/files.js';
import { type Json, type JsonObject, isArray, isObject, parseJson } from './json.js';
import { isModelClass } from './keras-container.js';
import { fileError } from './messages.js';
import { zipEntries } from './zip-archive.js';

export interface KerasH5 {
  /** A TF.js layers-model model.json equivalent of the file. */
  json: JsonObject;
  /** Its one weight shard: every weight as little-endian float32 (float16 where the file has it), in manifest order. */
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
const weights = [], chunks = [];
// float16 stays float16 (the TF.js weight reader widens it); everything else becomes float32
const add = (name, d) => {
  const half = /^[<>|]?e$/.test(String(d.dtype)) && d.value instanceof Uint16Array;
  const values = half ? d.value : Float32Array.from(d.value);
  weights.push({ name, shape: d.shape, dtype: half ? 'float16' : 'float32' });
  chunks.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
};
const write = (modelTopology) => {
  writeFileSync(out + '/weights.bin', Buffer.concat(chunks));
  writeFileSync(out + '/model.json', JSON.stringify({ format: 'layers-model', modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights }] }));
};
if (process.env.PPVC_H5_MODE === 'archive') {
  // Keras 3's model.weights.h5: layers/<key>/vars/<i>, a nested model's as layers/<key>/layers/<key>/vars/<i>;
  // named <key>/<key>/#<i> here (the parent maps keys to layer names)
  const walk = (g, name) => {
    for (const k of g.keys()) {
      const c = g.get(k);
      if (!c || c.type !== 'Group') continue;
      if (k === 'vars') for (const i of c.keys().filter((v) => /^\d+$/.test(v)).sort((a, b) => a - b)) add(name + '/#' + i, c.get(i));
      else walk(c, k === 'layers' ? name : name ? name + '/' + k : k);
    }
  };
  const layers = f.get('layers');
  if (!layers) fail('its model.weights.h5 has no layers group');
  walk(layers, '');
  write(null);
} else {
  const config = text(attr(f, 'model_config'));
  const root = f.get('model_weights') ?? f;
  if (config === undefined) fail(names(root, 'layer_names').length ? 'holds weights only (model.save_weights): it has no model_config attribute with the architecture' : 'has no model_config attribute: not a Keras model file');
  // Keras 1 names weights <layer>_W, _b, ...: the Keras 2 names, as the importer knows them
  const KERAS1 = { W: 'kernel', b: 'bias', gamma: 'gamma', beta: 'beta', running_mean: 'moving_mean', running_std: 'moving_variance', depthwise_kernel: 'depthwise_kernel', pointwise_kernel: 'pointwise_kernel' };
  for (const layer of names(root, 'layer_names')) {
    const g = root.get(layer);
    if (!g) fail('layer_names lists ' + JSON.stringify(layer) + ', which has no group');
    for (const wn of names(g, 'weight_names')) {
      const d = g.get(wn);
      if (!d || d.shape === undefined) fail('weight ' + JSON.stringify(layer + '/' + wn) + ' is missing');
      const parts = wn.replace(/:\d+$/, '').split('/');
      const k1 = /^(.*?)_(W|b|gamma|beta|running_mean|running_std|depthwise_kernel|pointwise_kernel)$/.exec(parts[0]);
      add(parts.length >= 2 ? parts.slice(-2).join('/') : layer + '/' + (k1 ? KERAS1[k1[2]] : parts[0]), d);
    }
  }
  write({ keras_version: text(attr(f, 'keras_version')), backend: text(attr(f, 'backend')), model_config: config });
}
f.close();
`;

const cache = new Map<string, { stamp: string; result: KerasH5 }>();

/** Keras's own model files: HDF5 (.h5, .hdf5) and Keras 3 archives (.keras). */
export function isKerasFile(path: string): boolean {
  return /\.(h5|hdf5|keras)$/i.test(path);
}

/** Reads a Keras model file (cached by path, size and modification time). */
export function readKerasFile(path: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  let stamp: string;
  try {
    const st = statInput(path);
    if (st.isDirectory()) return { diagnostics: [fileError(path, 'is a directory, not a model file')] };
    if (!st.isFile()) return { diagnostics: [fileError(path, 'not a regular file')] };
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch (e) {
    if (e instanceof UserError) return { diagnostics: e.diagnostics };
    throw e;
  }
  const key = resolve(path);
  const hit = cache.get(key);
  if (hit?.stamp === stamp) return { h5: hit.result, diagnostics: [] };
  const r = /\.keras$/i.test(path) ? readArchive(path) : readHdf5(path);
  if (r.h5) cache.set(key, { stamp, result: r.h5 });
  return r;
}

function readHdf5(path: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  if (!hasHdf5Signature(path)) return { diagnostics: [fileError(path, 'not an HDF5 file (no HDF5 signature): a Keras .h5 model file was expected')] };
  const r = runReader(resolve(path), 'model', path);
  // model_config is the text of to_json(): parsed here, so that a broken one is reported as JSON
  const topology = r.h5?.json['modelTopology'];
  if (isObject(topology) && typeof topology['model_config'] === 'string') {
    const config = parseJson(topology['model_config']);
    if (config.error !== undefined) return { diagnostics: [fileError(path, `its model_config attribute is not valid JSON: ${config.error}`)] };
    topology['model_config'] = config.value ?? null;
  }
  return r;
}

function readArchive(path: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  const unpacked = zipEntries(readRegularFile(path));
  if (!unpacked.entries) return { diagnostics: [fileError(path, `${unpacked.error}; a Keras 3 .keras archive is a zip file`)] };
  const config = unpacked.entries.get('config.json');
  const weights = unpacked.entries.get('model.weights.h5');
  if (!config || !weights) {
    const held = [...unpacked.entries.keys()].join(', ') || 'no entries';
    return { diagnostics: [fileError(path, `a .keras archive holds config.json and model.weights.h5; this one has ${held}`)] };
  }
  const parsed = parseJson(config.toString('utf8'));
  if (parsed.error !== undefined) return { diagnostics: [fileError(path, `its config.json is not valid JSON: ${parsed.error}`)] };
  const metadata = parseJson(unpacked.entries.get('metadata.json')?.toString('utf8') ?? '{}').value;
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-keras-'));
  let r: { h5?: KerasH5; diagnostics: Diagnostic[] };
  try {
    writeFileSync(join(dir, 'model.weights.h5'), weights);
    r = runReader(join(dir, 'model.weights.h5'), 'archive', path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!r.h5) return r;
  // the weights' class keys -> the layers' names
  const layerOf = archiveKeys(isObject(parsed.value) ? parsed.value['config'] : undefined);
  for (const w of manifestWeights(r.h5.json)) {
    const m = /^(.*)\/(#\d+)$/.exec(w.name);
    const layer = m ? layerOf.get(m[1]!) : undefined;
    if (!m || layer === undefined) return { diagnostics: [fileError(path, `model.weights.h5 holds '${w.name}', which matches no layer of config.json`)] };
    w.name = `${layer}/${m[2]}`;
  }
  r.h5.json['modelTopology'] = { keras_version: isObject(metadata) ? (metadata['keras_version'] ?? null) : null, model_config: parsed.value ?? null };
  return r;
}

function manifestWeights(json: JsonObject): { name: string }[] {
  return (json['weightsManifest'] as unknown as { weights: { name: string }[] }[]).flatMap((g) => g.weights);
}

/**
 * Keras 3 stores a model's weights under keys made from the layers' classes, not their names
 * (`Conv2D` -> `conv2d`, then `conv2d_1`, ... in the model's layer order; a nested model's
 * layers under its own key): the key path of every layer, mapped to the layer's name.
 */
function archiveKeys(config: Json | undefined, prefix = '', out = new Map<string, string>()): Map<string, string> {
  const used = new Map<string, number>();
  for (const layer of isObject(config) && isArray(config['layers']) ? config['layers'] : []) {
    if (!isObject(layer) || typeof layer['class_name'] !== 'string') continue;
    const cls = layer['class_name'];
    const inner = layer['config'];
    // keras.src.utils.naming.to_snake_case
    const base = cls
      .replace(/\W+/g, '')
      .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase();
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const key = prefix + (n === undefined ? base : `${base}_${n + 1}`);
    if (isObject(inner) && typeof inner['name'] === 'string') out.set(key, inner['name']);
    if (isModelClass(cls)) archiveKeys(inner, `${key}/`, out);
  }
  return out;
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
    return { h5: { json: parsed.value, shard: new Uint8Array(readFileSync(join(out, 'weights.bin'))) }, diagnostics: [] };
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
