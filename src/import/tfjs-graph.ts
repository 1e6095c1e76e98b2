// TF.js graph models (format "graph-model": a frozen TensorFlow GraphDef) -> the same
// normalized graph as the Keras importer. Grappler has already folded BatchNormalization
// into convolution biases and fused bias and ReLU into _FusedConv2D, so most compute nodes
// map to one layer; Const nodes become parameters (named by `source` for the weight
// reader), Identity nodes are dropped. Integer constants that steer shapes (Mean's axes,
// Reshape's shape, Pad's paddings) live in the weight shards, which are read for that.
import { type Diagnostic, UserError, hasErrors, warningAt } from '../diagnostics.js';
import { readTextFile } from '../util/files.js';
import { type ImportResult, type ImportedLayer, type ImportedModel, countParams } from './imported-model.js';
import { type Json, type JsonObject, isArray, isObject, show, str } from './json.js';
import { fileError, layerError } from './messages.js';
import { inferLayer } from './shape-rules.js';
import { Attrs, dims } from './tfjs-attrs.js';
import { OP_HANDLERS, type OpLayer } from './tfjs-ops.js';
import { checkSupport, modelDataFormat } from './support.js';
import { type WeightTensor, loadTfjsWeights } from './tfjs-weights.js';

export { readTfjsWeights, loadTfjsWeights } from './tfjs-weights.js';

interface GraphNode {
  name: string;
  op: string;
  /** Data inputs as node names (output index and control inputs stripped). */
  inputs: string[];
  attr: JsonObject;
  index: number;
}

interface Const {
  shape: number[];
  dtype: string;
}

/** Reads model.json and its weight shards, then imports the graph. */
export function importTfjsGraphFile(path: string, json?: JsonObject): ImportResult {
  const w = loadTfjsWeights(path, json);
  let model: JsonObject | undefined = json;
  if (!model) {
    try {
      const parsed = JSON.parse(readTextFile(path)) as Json;
      model = isObject(parsed) ? parsed : undefined;
    } catch (e) {
      if (e instanceof UserError) return { diagnostics: e.diagnostics };
      return { diagnostics: [fileError(path, `cannot read the graph model: ${e instanceof Error ? e.message : String(e)}`)] };
    }
  }
  if (!model) return { diagnostics: [fileError(path, 'not a TF.js graph model (expected an object)')] };
  const problem = w.diagnostics.map((d) => (d.message.startsWith(`${path}: `) ? d.message.slice(path.length + 2) : d.message)).join('; ');
  const r = importTfjsGraphJson(model, path, w.weights, problem);
  if (w.weights) return r;
  // Where a constant needed the weights, its error says why they were not read (with the hints)
  const hints = w.diagnostics.flatMap((d) => d.hints ?? []);
  const needed = r.diagnostics.map((d) => (d.severity === 'error' && problem && d.message.includes(problem) ? { ...d, hints: [...(d.hints ?? []), ...hints] } : d));
  if (needed.some((d, i) => d !== r.diagnostics[i])) return { ...r, diagnostics: needed };
  // else the architecture may not need them: say why they are missing, as warnings
  const why = w.diagnostics.map((d) => warningAt(undefined, `weights not read: ${d.message}`, d.hints ? { hints: d.hints } : {}));
  return { ...r, diagnostics: [...why, ...r.diagnostics] };
}

/**
 * Imports a parsed graph-model model.json. `weights` (from loadTfjsWeights) supplies the
 * values of integer constants; without it, nodes that need them are reported.
 */
export function importTfjsGraphJson(json: JsonObject, file: string, weights?: Map<string, WeightTensor>, weightsProblem?: string): ImportResult {
  try {
    return new GraphImporter(json, file, weights, weightsProblem).run();
  } catch (e) {
    return { diagnostics: [fileError(file, `internal error in the graph-model importer: ${e instanceof Error ? e.message : String(e)}`)] };
  }
}

const PASS_THROUGH = new Set(['Identity', 'IdentityN', 'StopGradient', 'Snapshot']);

class GraphImporter {
  private readonly diags: Diagnostic[] = [];
  private readonly nodes = new Map<string, GraphNode>();
  private readonly consts = new Map<string, Const>();
  /** Dropped nodes (Identity) -> the node they forward. */
  private readonly alias = new Map<string, string>();
  private readonly layers: ImportedLayer[] = [];
  private readonly shapes = new Map<string, number[]>();

  constructor(
    private readonly json: JsonObject,
    private readonly file: string,
    private readonly weights: Map<string, WeightTensor> | undefined,
    /** Why the weights were not read, when a file's were looked for. */
    private readonly weightsProblem?: string,
  ) {}

  run(): ImportResult {
    const topo = this.json['modelTopology'];
    const list = isObject(topo) ? topo['node'] : this.json['node'];
    if (!isArray(list)) return { diagnostics: [fileError(this.file, 'a graph model needs modelTopology.node, a list of nodes')] };
    for (const [index, raw] of list.entries()) {
      const n = readNode(raw, index);
      if (typeof n === 'string') return { diagnostics: [fileError(this.file, n)] };
      if (this.nodes.has(n.name)) return { diagnostics: [fileError(this.file, `two nodes are named '${n.name}'`)] };
      this.nodes.set(n.name, n);
      if (n.op === 'Const') this.consts.set(n.name, readConst(n.attr));
    }
    const placeholders = [...this.nodes.values()].filter((n) => n.op === 'Placeholder');
    if (placeholders.length !== 1) {
      return { diagnostics: [fileError(this.file, `the graph has ${placeholders.length} inputs (Placeholder nodes); ppvc-dsl models take exactly one`)] };
    }
    for (const n of this.order()) {
      if (n.op === 'Const' || n.op === 'NoOp') continue;
      if (PASS_THROUGH.has(n.op)) {
        this.alias.set(n.name, this.resolve(n.inputs[0] ?? ''));
        continue;
      }
      this.node(n);
    }
    const output = this.output();
    const diags = this.diags;
    const outLayer = output ? this.layers.find((l) => l.name === output) : undefined;
    if (hasErrors(diags) || !outLayer) {
      if (!hasErrors(diags)) diags.push(fileError(this.file, 'cannot find the graph\'s output'));
      return { diagnostics: diags };
    }
    const names = shortNames(this.layers);
    for (const l of this.layers) {
      l.name = names.get(l.name)!;
      l.inputs = l.inputs.map((i) => names.get(i)!);
    }
    const dataFormat = modelDataFormat(this.layers);
    diags.push(...checkSupport(this.layers, dataFormat, this.file));
    if (dataFormat !== 'channels_last') diags.push(fileError(this.file, 'the graph computes in NCHW; only NHWC graph models are supported'));
    if (hasErrors(diags)) return { diagnostics: diags };
    const model: ImportedModel = {
      file: this.file,
      format: 'tfjs-graph',
      inputShape: this.layers.find((l) => l.op === 'input')!.outputShape,
      outputShape: outLayer.outputShape,
      parameterCount: countParams(this.layers),
      dataFormat,
      layers: this.layers,
      output: outLayer.name,
    };
    return { model, diagnostics: diags };
  }

  /** Kahn's algorithm in file order (converters usually write nodes in order, but need not). */
  private order(): GraphNode[] {
    const all = [...this.nodes.values()];
    const done = new Set<string>();
    const out: GraphNode[] = [];
    let progress = true;
    while (out.length < all.length && progress) {
      progress = false;
      for (const n of all) {
        if (done.has(n.name)) continue;
        if (n.inputs.every((i) => done.has(i) || !this.nodes.has(i))) {
          done.add(n.name);
          out.push(n);
          progress = true;
        }
      }
    }
    for (const n of all) {
      if (!done.has(n.name)) {
        this.diags.push(layerError(this.file, n.name, n.op, 'the node is part of a cycle'));
        return out;
      }
    }
    return out;
  }

  private resolve(name: string): string {
    for (let i = 0; i < 1000 && this.alias.has(name); i++) name = this.alias.get(name)!;
    return name;
  }

  /** One compute node as a layer, by the handler of its op (tfjs-ops.ts). */
  private node(n: GraphNode): void {
    const fail = (msg: string) => {
      this.diags.push(layerError(this.file, n.name, n.op, msg));
    };
    const data = n.inputs.map((i) => this.resolve(i));
    const tensorIns = data.filter((i) => !this.consts.has(i));
    const constIns = data.filter((i) => this.consts.has(i));
    if (tensorIns.some((i) => !this.shapes.has(i))) {
      // An upstream node failed, or an input is missing from the graph.
      const missing = tensorIns.find((i) => !this.nodes.has(i));
      if (missing !== undefined) fail(`its input '${missing}' is not a node of the graph`);
      return;
    }
    const handler = OP_HANDLERS.get(n.op);
    if (!handler) return fail(`TensorFlow op '${n.op}' is not supported by the graph-model importer`);
    const inShapes = tensorIns.map((i) => this.shapes.get(i)!);
    const r = handler({
      op: n.op,
      a: new Attrs(n.attr),
      tensorIns,
      constIns,
      inShapes,
      constShape: (name) => (name === undefined ? undefined : this.consts.get(name)?.shape),
      intConst: (name) => this.intConst(name),
      layer: (name) => this.layers.find((l) => l.name === name),
    });
    if ('error' in r) return fail(r.error);
    if ('biasOf' in r) {
      r.biasOf.config.use_bias = true;
      r.biasOf.params.push({ name: 'bias', shape: r.shape, source: r.source });
      this.alias.set(n.name, r.biasOf.name);
      return;
    }
    this.addLayer(n, r, tensorIns, inShapes);
  }

  /** The layer a handler described, its parameters named by the graph's constants (and a ReLU6 after it, when fused). */
  private addLayer(n: GraphNode, { op, config, sources = [], relu6 }: OpLayer, tensorIns: string[], inShapes: number[][]): void {
    const fail = (msg: string) => {
      this.diags.push(layerError(this.file, n.name, n.op, msg));
    };
    const res = inferLayer(op, config, inShapes);
    if ('error' in res) return fail(res.error);
    // Name each parameter's weight and check the graph's constant has the inferred shape.
    for (const [i, p] of res.params.entries()) {
      const src = sources[i];
      if (src === undefined) continue;
      const c = this.consts.get(src);
      // the exact shape: a transposed constant has the right size but the wrong layout
      if (!c || c.shape.join() !== p.shape.join()) {
        return fail(`constant '${src}' has shape ${show(c?.shape)}, but the layer needs ${show(p.shape)}`);
      }
      p.source = src;
    }
    const layer: ImportedLayer = { name: n.name, className: n.op, op, inputs: tensorIns, config, inputShapes: inShapes, outputShape: res.outputShape, params: res.params };
    this.layers.push(layer);
    this.shapes.set(n.name, res.outputShape);
    if (relu6) {
      const name = `${n.name}/Relu6`;
      this.layers.push({ name, className: n.op, op: 'relu', inputs: [n.name], config: { max_value: 6 }, inputShapes: [res.outputShape], outputShape: res.outputShape, params: [] });
      this.shapes.set(name, res.outputShape);
      this.alias.set(n.name, name);
    }
  }

  /** The values of an integer constant (from the weights, or inline in the graph). */
  private intConst(name: string | undefined): number[] | string {
    if (name === undefined) return 'needs a constant operand';
    const w = this.weights?.get(name);
    if (w) return Array.from(w.values);
    const inline = inlineInts(this.nodes.get(name)?.attr);
    if (inline) return inline;
    if (this.weightsProblem) return `the value of constant '${name}' is stored in the weight shards, which could not be read: ${this.weightsProblem}`;
    return `the value of constant '${name}' is stored in the weight shards, which are not read from model JSON given as text: name the model.json file, with its shards beside it`;
  }

  /** The output: the signature's, else the one node nothing consumes. */
  private output(): string | undefined {
    const consumed = new Set<string>();
    for (const n of this.nodes.values()) for (const i of n.inputs) consumed.add(this.resolve(i));
    const meta = this.json['userDefinedMetadata'];
    const sig = isObject(meta) && isObject(meta['signature']) ? meta['signature']['outputs'] : undefined;
    if (isObject(sig)) {
      const names = Object.keys(sig).map((k) => this.resolve(k.replace(/:\d+$/, '')));
      if (names.length !== 1) {
        this.diags.push(fileError(this.file, `the graph has ${names.length} outputs; ppvc-dsl needs exactly one`));
        return undefined;
      }
      return names[0];
    }
    const sinks = this.layers.filter((l) => !consumed.has(l.name));
    if (sinks.length !== 1) {
      this.diags.push(fileError(this.file, `the graph has ${sinks.length} outputs (${sinks.map((l) => `'${l.name}'`).join(', ')}); ppvc-dsl needs exactly one`));
      return undefined;
    }
    return sinks[0]!.name;
  }
}

/**
 * Layer names without the scope every converted Keras model shares
 * (`StatefulPartitionedCall/model_1/block1_conv1_act/Relu` -> `block1_conv1_act/Relu`), if
 * they stay unique. Parameters keep the full constant names in `source`.
 */
function shortNames(layers: ImportedLayer[]): Map<string, string> {
  const scoped = layers.filter((l) => l.name.includes('/'));
  let prefix = scoped[0]?.name.slice(0, scoped[0].name.lastIndexOf('/') + 1) ?? '';
  for (const l of scoped) while (prefix && !l.name.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  const short = (n: string) => (n.startsWith(prefix) && n.length > prefix.length ? n.slice(prefix.length) : n);
  const unique = new Set(layers.map((l) => short(l.name))).size === layers.length;
  return new Map(layers.map((l) => [l.name, unique ? short(l.name) : l.name]));
}

function readNode(raw: Json, index: number): GraphNode | string {
  if (!isObject(raw)) return `node #${index + 1} is not an object`;
  const name = str(raw['name']);
  const op = str(raw['op']);
  if (name === undefined || op === undefined) return `node #${index + 1} needs a name and an op (found ${show(raw)})`;
  const rawInputs = raw['input'] ?? [];
  if (!isArray(rawInputs) || !rawInputs.every((i) => typeof i === 'string')) return `node '${name}': input must be a list of names`;
  const inputs = (rawInputs as string[]).filter((i) => !i.startsWith('^')).map((i) => i.replace(/:\d+$/, ''));
  return { name, op, inputs, attr: isObject(raw['attr']) ? raw['attr'] : {}, index };
}

function readConst(attr: JsonObject): Const {
  const value = attr['value'];
  const tensor = isObject(value) && isObject(value['tensor']) ? value['tensor'] : {};
  return { shape: dims(tensor['tensorShape']) ?? [], dtype: str(tensor['dtype']) ?? 'DT_FLOAT' };
}

function inlineInts(attr: JsonObject | undefined): number[] | undefined {
  const value = attr?.['value'];
  const tensor = isObject(value) && isObject(value['tensor']) ? value['tensor'] : undefined;
  const ints = tensor?.['intVal'];
  if (!isArray(ints)) return undefined;
  const out = ints.map((v) => Number(v));
  return out.every(Number.isInteger) ? out : undefined;
}
