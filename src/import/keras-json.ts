// The model importer's entry points: a model file (Keras JSON in any of its dialects, or a
// TF.js layers / graph model.json) -> the normalized graph of imported-model.ts, checked
// against what ppvc-dsl can compile. Pure apart from reading the file (and, for TF.js graph
// models, its weight shards); never throws: every problem is a Diagnostic.
import type { Diagnostic } from '../diagnostics.js';
import { UserError, hasErrors } from '../diagnostics.js';
import { readTextFile } from '../util/files.js';
import { type ImportResult, type ImportedLayer, type ImportedModel, countParams } from './imported-model.js';
import { type KerasRoot, unwrapContainer } from './keras-container.js';
import { buildGraph } from './keras-graph.js';
import { inferGraph } from './infer-graph.js';
import type { JsonObject } from './json.js';
import { fileError } from './messages.js';
import { toChannelsLast } from './channels-last.js';
import { checkSupport, modelDataFormat } from './support.js';
import { importTfjsGraphFile, importTfjsGraphJson } from './tfjs-graph.js';
import { isKerasFile, readKerasFile } from './keras-h5.js';

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
 * models' layers without their model's name), Keras 3 archives `<layer>/#<i>` (the layer's
 * i-th variable, in Keras's order, which is the order of `params`): record it as the
 * parameter's source.
 */
function nameWeights(layers: ImportedLayer[], names: Set<string>): void {
  for (const l of layers) {
    // A nested layer renamed to `scope/name` for uniqueness is still `name` in the manifest.
    const base = l.scope ? l.name.slice(l.name.lastIndexOf('/') + 1) : l.name;
    l.params.forEach((p, i) => {
      const source = [p.name, ...(WEIGHT_ALIASES[p.name] ?? []), `#${i}`].map((n) => `${base}/${n}`).find((n) => names.has(n));
      if (source) p.source = source;
    });
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
