// TF.js graph models (format "graph-model": a frozen TensorFlow GraphDef) -> the same
// normalized graph as the Keras importer. Grappler has already folded BatchNormalization
// into convolution biases and fused bias and ReLU into _FusedConv2D, so most compute nodes
// map to one layer; Const nodes become parameters (named by `source` for the weight
// reader), Identity nodes are dropped. Integer constants that steer shapes (Mean's axes,
// Reshape's shape, Pad's paddings) live in the weight shards, which are read for that.
import { type Diagnostic, UserError, hasErrors, warningAt } from '../diagnostics.js';
import { readTextFile } from '../util/files.js';
import { type ImportResult, type ImportedLayer, type ImportedOp, type LayerConfig, type ImportedModel, countParams } from './imported-model.js';
import { type Json, type JsonObject, isArray, isObject, num, show, str } from './json.js';
import { fileError, layerError } from './messages.js';
import { inferLayer } from './shape-rules.js';
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
const ACTIVATION_OPS: Record<string, string> = { Softmax: 'softmax', Sigmoid: 'sigmoid', Tanh: 'tanh', Elu: 'elu', Selu: 'selu', Softplus: 'softplus' };

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
    const inShapes = tensorIns.map((i) => this.shapes.get(i)!);
    const a = new Attrs(n.attr);
    let op: ImportedOp;
    let config: LayerConfig = {};
    const sources: string[] = [];
    let relu6 = false;

    switch (n.op) {
      case 'Placeholder': {
        const dims = a.shape('shape');
        if (!dims || dims.length < 2 || dims.slice(1).some((d) => d < 1)) return fail(`the input shape ${show(dims)} must be [batch, ...] with fixed sizes`);
        op = 'input';
        config = { input_shape: dims.slice(1) };
        break;
      }
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        const filter = constIns[0];
        const k = filter !== undefined ? this.consts.get(filter)!.shape : undefined;
        if (!k || k.length !== 4) return fail('needs a constant 4-d filter');
        const depthwise = n.op.includes('Depthwise');
        const fused = this.fusedOps(a, n.op.startsWith('_Fused') || n.op.startsWith('Fused'));
        if (typeof fused === 'string') return fail(fused);
        const nchw = a.string('data_format') === 'NCHW';
        const strides = a.ints('strides') ?? [1, 1, 1, 1];
        const dil = a.ints('dilations') ?? [1, 1, 1, 1];
        const pad = a.string('padding');
        if (pad !== 'SAME' && pad !== 'VALID') return fail(`padding '${pad}' is not supported (SAME or VALID)`);
        const [sh, sw] = nchw ? [strides[2]!, strides[3]!] : [strides[1]!, strides[2]!];
        const [dh, dw] = nchw ? [dil[2]!, dil[3]!] : [dil[1]!, dil[2]!];
        op = depthwise ? 'depthwise_conv2d' : 'conv2d';
        config = {
          kernel: [k[0]!, k[1]!],
          strides: [sh, sw],
          padding: pad === 'SAME' ? 'same' : 'valid',
          dilation: [dh, dw],
          use_bias: fused.bias,
          activation: fused.activation,
          data_format: nchw ? 'channels_first' : 'channels_last',
        };
        relu6 = fused.relu6 === true;
        if (depthwise) config.depth_multiplier = k[3]!;
        else config.filters = k[3]!;
        sources.push(filter!);
        if (fused.bias) sources.push(constIns[1] ?? '');
        if (fused.bias && constIns.length < 2) return fail('BiasAdd is fused but there is no bias constant');
        break;
      }
      case 'MatMul':
      case '_FusedMatMul': {
        const w = constIns[0];
        const k = w !== undefined ? this.consts.get(w)!.shape : undefined;
        if (!k || k.length !== 2) return fail('needs a constant 2-d weight matrix');
        if (a.bool('transpose_a') || a.bool('transpose_b')) return fail('transposed MatMul operands are not supported');
        const fused = this.fusedOps(a, n.op === '_FusedMatMul');
        if (typeof fused === 'string') return fail(fused);
        op = 'dense';
        relu6 = fused.relu6 === true;
        config = { units: k[1]!, use_bias: fused.bias, activation: fused.activation };
        sources.push(w!);
        if (fused.bias) sources.push(constIns[1] ?? '');
        break;
      }
      case 'BiasAdd':
      case 'Add':
      case 'AddV2': {
        if (constIns.length === 0) {
          op = 'add';
          break;
        }
        // x + bias right after a layer without one: fold it into that layer.
        const producer = this.layers.find((l) => l.name === tensorIns[0]);
        const b = this.consts.get(constIns[0]!)!;
        const channels = producer?.outputShape[producer.outputShape.length - 1];
        const foldable = producer && ['conv2d', 'depthwise_conv2d', 'dense'].includes(producer.op) && producer.config.use_bias === false && producer.config.activation === 'linear';
        if (!foldable || b.shape.length !== 1 || b.shape[0] !== channels || producer.config.data_format === 'channels_first') {
          return fail('adding a constant is only supported as the bias of the preceding convolution or MatMul');
        }
        producer.config.use_bias = true;
        producer.params.push({ name: 'bias', shape: b.shape, source: constIns[0]! });
        this.alias.set(n.name, producer.name);
        return;
      }
      case 'Relu':
        op = 'relu';
        break;
      case 'Relu6':
        op = 'relu';
        config = { max_value: 6 };
        break;
      case 'LeakyRelu':
        op = 'relu';
        config = { negative_slope: a.float('alpha') ?? 0.2 };
        break;
      case 'MaxPool':
      case 'AvgPool': {
        const nchw = a.string('data_format') === 'NCHW';
        const ks = a.ints('ksize');
        const st = a.ints('strides');
        const pad = a.string('padding');
        if (!ks || !st || ks.length !== 4 || st.length !== 4 || (pad !== 'SAME' && pad !== 'VALID')) return fail('needs 4-d ksize and strides and SAME or VALID padding');
        op = n.op === 'MaxPool' ? 'maxpool' : 'avgpool';
        config = {
          pool: nchw ? [ks[2]!, ks[3]!] : [ks[1]!, ks[2]!],
          strides: nchw ? [st[2]!, st[3]!] : [st[1]!, st[2]!],
          padding: pad === 'SAME' ? 'same' : 'valid',
          data_format: nchw ? 'channels_first' : 'channels_last',
        };
        break;
      }
      case 'Mean':
      case 'Max': {
        const axes = this.intConst(constIns[0]);
        if (typeof axes === 'string') return fail(axes);
        // Over the two spatial axes of an NHWC batch: global pooling.
        if (inShapes[0]?.length !== 3 || axes.map((x) => (x < 0 ? x + 4 : x)).sort().join() !== '1,2') {
          return fail(`reducing over axes [${axes.join(', ')}] is not supported (only the spatial axes [1, 2], i.e. global pooling)`);
        }
        op = n.op === 'Mean' ? 'global_avgpool' : 'global_maxpool';
        config = { keepdims: a.bool('keep_dims') ?? false, data_format: 'channels_last' };
        break;
      }
      case 'Reshape': {
        const shape = this.intConst(constIns[0]);
        if (typeof shape === 'string') return fail(shape);
        if (shape.length < 2 || (shape[0] !== -1 && shape[0] !== 1)) return fail(`the target shape [${shape.join(', ')}] must keep the batch axis first`);
        op = 'reshape';
        config = { target_shape: shape.slice(1) };
        break;
      }
      case 'Squeeze': {
        const dims = a.ints('squeeze_dims') ?? [];
        const x = inShapes[0] ?? [];
        const drop = new Set(dims.length > 0 ? dims.map((d) => (d < 0 ? d + x.length + 1 : d) - 1) : x.map((d, i) => (d === 1 ? i : -1)));
        op = 'reshape';
        config = { target_shape: x.filter((_, i) => !drop.has(i)) };
        break;
      }
      case 'Pad': {
        const p = this.intConst(constIns[0]);
        if (typeof p === 'string') return fail(p);
        if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) return fail('only padding of the two spatial axes of an NHWC tensor is supported');
        op = 'zeropad2d';
        config = { zero_padding: [[p[2]!, p[3]!], [p[4]!, p[5]!]], data_format: 'channels_last' };
        break;
      }
      case 'ConcatV2': {
        const axis = this.intConst(constIns[constIns.length - 1]);
        if (typeof axis === 'string') return fail(axis);
        const rank = inShapes[0]?.length ?? 0;
        const ax = axis[0]! < 0 ? rank + axis[0]! : axis[0]! - 1;
        op = 'concatenate';
        config = { axis: ax };
        break;
      }
      case 'FusedBatchNorm':
      case 'FusedBatchNormV3': {
        if (constIns.length !== 4) return fail('needs constant scale, offset, mean and variance');
        op = 'batchnorm';
        config = { axis: (inShapes[0]?.length ?? 1) - 1, epsilon: a.float('epsilon') ?? 1e-3, center: true, scale: true };
        sources.push(...constIns);
        break;
      }
      default: {
        const act = ACTIVATION_OPS[n.op];
        if (!act) return fail(`TensorFlow op '${n.op}' is not supported by the graph-model importer`);
        op = 'activation';
        config = { activation: act };
      }
    }

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

  /** fused_ops of _FusedConv2D / _FusedMatMul: [BiasAdd] optionally followed by an activation. */
  private fusedOps(a: Attrs, fused: boolean): { bias: boolean; activation: string; relu6?: boolean } | string {
    if (!fused) return { bias: false, activation: 'linear' };
    const ops = a.strings('fused_ops') ?? [];
    if (ops[0] !== 'BiasAdd') return `fused ops [${ops.join(', ')}] are not supported (expected BiasAdd first)`;
    if (ops.length === 1) return { bias: true, activation: 'linear' };
    if (ops.length === 2) {
      // Relu6 becomes a separate ReLU layer with max_value 6, as Keras writes it.
      if (ops[1] === 'Relu6') return { bias: true, activation: 'linear', relu6: true };
      const act = ops[1] === 'Relu' ? 'relu' : ACTIVATION_OPS[ops[1]!] ?? ops[1]!.toLowerCase();
      return { bias: true, activation: act };
    }
    return `fused ops [${ops.join(', ')}] are not supported`;
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

function dims(shape: Json | undefined): number[] | undefined {
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

function inlineInts(attr: JsonObject | undefined): number[] | undefined {
  const value = attr?.['value'];
  const tensor = isObject(value) && isObject(value['tensor']) ? value['tensor'] : undefined;
  const ints = tensor?.['intVal'];
  if (!isArray(ints)) return undefined;
  const out = ints.map((v) => Number(v));
  return out.every(Number.isInteger) ? out : undefined;
}

/** GraphDef attribute values: {s: base64}, {i: "1"}, {f: 0.5}, {b: true}, {list: {i|s: [...]}}, {shape}. */
class Attrs {
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
