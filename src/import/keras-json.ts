// The model importer's entry points: a model file (Keras JSON in any of its dialects, or a
// TF.js layers / graph model.json) -> the normalized graph of imported-model.ts, checked
// against what ppvc-dsl can compile. Pure apart from reading the file (and, for TF.js graph
// models, its weight shards); never throws: every problem is a Diagnostic.
import type { Diagnostic } from '../diagnostics.js';
import { UserError, hasErrors } from '../diagnostics.js';
import { readTextFile } from '../util/files.js';
import { type ImportResult, type ImportedLayer, type ImportedModel, countParams } from './imported-model.js';
import { type KerasRoot, isModelClass, unwrapContainer } from './keras-container.js';
import { buildGraph } from './keras-graph.js';
import { inferGraph } from './infer-graph.js';
import { type Json, type JsonObject, isArray, isObject } from './json.js';
import { fileError } from './messages.js';
import { toChannelsLast } from './channels-last.js';
import { checkSupport, modelDataFormat } from './support.js';
import { importTfjsGraphFile, importTfjsGraphJson } from './tfjs-graph.js';
import { type KerasH5, readKerasArchive, readKerasH5 } from './keras-h5.js';

export type { ImportResult, ImportedLayer, ImportedModel } from './imported-model.js';
export { toChannelsLast } from './channels-last.js';

/**
 * Reads a model file and imports it. The model is returned only if ppvc-dsl can compile every
 * layer; it is in the file's layout (pass it through toChannelsLast before lowering).
 */
export function importModelFile(path: string): ImportResult {
  if (isKerasFile(path)) {
    return guarded(path, () => {
      const { h5, diagnostics } = readKerasFile(path);
      if (!h5) return { diagnostics };
      const r = importText(JSON.stringify(h5.json), path, false);
      if (r.model) r.model.format = /\.keras$/i.test(path) ? 'keras-archive' : 'keras-h5';
      return r;
    });
  }
  let text: string;
  try {
    text = readTextFile(path);
  } catch (e) {
    if (e instanceof UserError) return { diagnostics: e.diagnostics };
    return { diagnostics: [fileError(path, `cannot read the model file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)] };
  }
  return guarded(path, () => importText(text, path, true));
}

/** Keras's own model files: HDF5 (.h5, .hdf5) and Keras 3 archives (.keras). */
export function isKerasFile(path: string): boolean {
  return /\.(h5|hdf5|keras)$/i.test(path);
}

/**
 * A Keras model file as a TF.js layers model (model.json and one weight shard). A .keras
 * archive's weights are numbered per layer (`conv/#0`, `conv/#1`); they are named here by the
 * architecture's parameters, which follow Keras's variable order (kernel, bias; gamma, beta,
 * moving_mean, moving_variance), so that both formats name them `<layer>/<param>`.
 */
export function readKerasFile(path: string): { h5?: KerasH5; diagnostics: Diagnostic[] } {
  if (!/\.keras$/i.test(path)) return readKerasH5(path);
  const r = readKerasArchive(path);
  if (!r.h5) return r;
  const a = analyze(JSON.stringify({ modelTopology: r.h5.json['modelTopology'] }), path);
  if (a.kind !== 'keras') return { diagnostics: [fileError(path, 'its config.json is not a Keras layers model')] };
  if (!a.model) return { diagnostics: a.diagnostics };
  const params = new Map(a.layers.map((l) => [l.scope ? l.name.slice(l.name.lastIndexOf('/') + 1) : l.name, l.params]));
  const topology = r.h5.json['modelTopology'];
  const layerOf = archiveKeys(isObject(topology) ? topology['model_config'] : undefined);
  const manifest = structuredClone(r.h5.json['weightsManifest']) as { weights: { name: string }[] }[];
  for (const w of manifest.flatMap((g) => g.weights)) {
    const m = /^(.*)\/#(\d+)$/.exec(w.name);
    if (!m) continue;
    const layer = layerOf.get(m[1]!);
    const p = layer === undefined ? undefined : params.get(layer)?.[Number(m[2])];
    if (!p || layer === undefined) {
      return { diagnostics: [fileError(path, `model.weights.h5 holds variable ${m[2]} of '${m[1]}', which the architecture in config.json does not have`)] };
    }
    w.name = `${layer}/${p.name}`;
  }
  return { h5: { json: { ...r.h5.json, weightsManifest: manifest as unknown as JsonObject[] }, shard: r.h5.shard }, diagnostics: [] };
}

/**
 * Keras 3 stores a model's weights under keys made from the layers' classes, not their names
 * (`Conv2D` -> `conv2d`, then `conv2d_1`, ... in the model's layer order; a nested model's
 * layers under its own key): the key path of every layer, mapped to the layer's name.
 */
function archiveKeys(model: Json | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (config: Json | undefined, prefix: string) => {
    const layers = isObject(config) && isArray(config['layers']) ? config['layers'] : [];
    const used = new Map<string, number>();
    for (const layer of layers) {
      if (!isObject(layer) || typeof layer['class_name'] !== 'string') continue;
      const cls = layer['class_name'];
      const inner = layer['config'];
      const name = isObject(inner) && typeof inner['name'] === 'string' ? inner['name'] : undefined;
      const base = cls
        .replace(/\W+/g, '')
        .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
        .replace(/([a-z])([A-Z])/g, '$1_$2')
        .toLowerCase();
      const n = used.get(base);
      used.set(base, n === undefined ? 0 : n + 1);
      const key = prefix + (n === undefined ? base : `${base}_${n + 1}`);
      if (name !== undefined) out.set(key, name);
      if (isModelClass(cls)) visit(inner, `${key}/`);
    }
  };
  visit(isObject(model) ? model['config'] : undefined, '');
  return out;
}

/** Imports model JSON text; `file` names it in messages. TF.js graph models need importModelFile (weights). */
export function importModelJson(text: string, file: string): ImportResult {
  return guarded(file, () => importText(text, file, false));
}

/**
 * Parses and infers shapes and parameters without asking whether ppvc-dsl supports the
 * layers: a model comes back whenever every layer's shape is known (Lambda layers are
 * assumed shape-preserving unless they declare an output_shape). For analysis and tests.
 */
export function readKerasJson(text: string, file: string): ImportResult {
  return guarded(file, () => {
    const a = analyze(text, file);
    if (a.kind === 'graph') return importTfjsGraphJson(a.json, file);
    return { model: a.model, diagnostics: a.diagnostics };
  });
}

function importText(text: string, file: string, fromFile: boolean): ImportResult {
  const a = analyze(text, file);
  // Graph models name their constants' values in weight shards: read them when we can.
  if (a.kind === 'graph') return fromFile ? importTfjsGraphFile(file, a.json) : importTfjsGraphJson(a.json, file);
  const diags = [...a.diagnostics, ...checkSupport(a.layers, modelDataFormat(a.layers), file)];
  if (a.model && !hasErrors(diags) && a.model.dataFormat === 'channels_first') {
    // Reject now what the conversion to channels-last would refuse later.
    diags.push(...toChannelsLast(a.model).diagnostics);
  }
  return hasErrors(diags) ? { diagnostics: diags } : { model: a.model, diagnostics: diags };
}

type Analysis =
  | { kind: 'keras'; model?: ImportedModel; layers: ImportedLayer[]; diagnostics: Diagnostic[] }
  | { kind: 'graph'; json: JsonObject };

function analyze(text: string, file: string): Analysis {
  const diagnostics: Diagnostic[] = [];
  const root = unwrapContainer(text, file, diagnostics);
  if (!root) return { kind: 'keras', layers: [], diagnostics };
  if (root.kind === 'tfjs-graph') return { kind: 'graph', json: root.json };
  const graph = buildGraph(root, file, diagnostics);
  if (!graph) return { kind: 'keras', layers: [], diagnostics };
  const layers = inferGraph(graph.nodes, file, diagnostics);
  const out = layers.find((l) => l.name === graph.output);
  if (hasErrors(diagnostics) || !out || layers.length !== graph.nodes.length) {
    if (!hasErrors(diagnostics)) diagnostics.push(fileError(file, 'the shapes of some layers could not be inferred'));
    return { kind: 'keras', layers, diagnostics };
  }
  const input = layers.find((l) => l.op === 'input')!;
  return { kind: 'keras', model: toModel(root, graph.name, layers, input, out, file), layers, diagnostics };
}

function toModel(root: KerasRoot, name: string | undefined, layers: ImportedLayer[], input: ImportedLayer, out: ImportedLayer, file: string): ImportedModel {
  const model: ImportedModel = {
    file,
    format: root.format,
    inputShape: input.outputShape,
    outputShape: out.outputShape,
    parameterCount: countParams(layers),
    dataFormat: modelDataFormat(layers),
    layers,
    output: out.name,
  };
  if (name !== undefined) model.name = name;
  if (root.kerasVersion !== undefined) model.kerasVersion = root.kerasVersion;
  if (root.weightNames) nameWeights(layers, new Set(root.weightNames));
  return model;
}

/**
 * TF.js layers models name each weight `<layer>/<param>` in the weightsManifest (nested
 * models' layers without their model's name): record it as the parameter's source.
 */
function nameWeights(layers: ImportedLayer[], names: Set<string>): void {
  for (const l of layers) {
    // A nested layer renamed to `scope/name` for uniqueness is still `name` in the manifest.
    const base = l.scope ? l.name.slice(l.name.lastIndexOf('/') + 1) : l.name;
    for (const p of l.params) {
      const source = [p.name, ...(WEIGHT_ALIASES[p.name] ?? [])].map((n) => `${base}/${n}`).find((n) => names.has(n));
      if (source) p.source = source;
    }
  }
}

/** Other names of a weight: Keras 3 calls DepthwiseConv2D's depthwise_kernel `kernel`. */
const WEIGHT_ALIASES: Record<string, string[]> = { depthwise_kernel: ['kernel'] };

/** The no-throw guarantee: a bug in the importer becomes a diagnostic, not a crash. */
function guarded(file: string, f: () => ImportResult): ImportResult {
  try {
    return f();
  } catch (e) {
    return { diagnostics: [fileError(file, `internal error in the model importer: ${e instanceof Error ? e.message : String(e)}`, ['please report this with the model file'])] };
  }
}
