// Sequential and functional Keras configs -> one flat graph of layers. Nested models (a
// Sequential or Functional used as a layer, as in transfer learning) are expanded in
// place: the inner InputLayer becomes an alias of the outer producer and the nested
// model's name an alias of its output, so the graph only holds real layers.
import type { Diagnostic } from '../diagnostics.js';
import { type Json, type JsonObject, isArray, isObject, num, show, str } from './json.js';
import { type KerasRoot, describe, isModelClass } from './keras-container.js';
import { fileError, layerError } from './messages.js';

export interface RawNode {
  name: string;
  className: string;
  /** The layer's own config (Keras 3's module/registered_name wrapper removed). */
  config: JsonObject;
  /** Producer layers, by (unique) name. */
  inputs: string[];
  scope: string[];
  /** InputLayer only: the per-example shape. */
  inputShape?: number[];
}

export interface RawGraph {
  name?: string;
  nodes: RawNode[];
  output: string;
}

/** A layer entry of a model config. */
interface Entry {
  index: number;
  name: string;
  className: string;
  config: Json | undefined;
  inbound: Json | undefined;
}

interface TensorRef {
  name: string;
  tensor: number;
}

const MAX_DEPTH = 16;

export function buildGraph(root: KerasRoot, file: string, diags: Diagnostic[]): RawGraph | undefined {
  const b = new GraphBuilder(file, diags, root.buildInputShape);
  const name = isObject(root.config) ? str(root.config['name']) : undefined;
  const outputs = b.expandModel(root.className, root.config, name ?? 'model', [], undefined, 0);
  if (!outputs) return undefined;
  if (outputs.length !== 1) {
    diags.push(fileError(file, `the model has ${outputs.length} outputs; ppvc-dsl needs exactly one (the class scores)`));
    return undefined;
  }
  return { name, nodes: b.nodes, output: outputs[0]! };
}

class GraphBuilder {
  readonly nodes: RawNode[] = [];
  private readonly used = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly diags: Diagnostic[],
    private readonly rootBuildShape: Json | undefined,
  ) {}

  /**
   * Expands a model (top level when `inputs` is undefined) and returns the producers of its
   * outputs, or undefined after reporting an error.
   */
  expandModel(className: string, config: Json | undefined, name: string, scope: string[], inputs: string[] | undefined, depth: number): string[] | undefined {
    if (depth > MAX_DEPTH) {
      this.diags.push(layerError(this.file, name, className, `models nested more than ${MAX_DEPTH} deep`));
      return undefined;
    }
    if (className === 'Sequential') return this.expandSequential(config, name, scope, inputs, depth);
    return this.expandFunctional(config, name, className, scope, inputs, depth);
  }

  private expandSequential(config: Json | undefined, name: string, scope: string[], inputs: string[] | undefined, depth: number): string[] | undefined {
    // Keras <= 2.2.4 writes the layer list itself; later versions {name, layers: [...]}.
    const list = isArray(config) ? config : isObject(config) ? config['layers'] : undefined;
    if (!isArray(list) || list.length === 0) {
      this.diags.push(layerError(this.file, name, 'Sequential', `expected a non-empty list of layers, found ${describe(list)}`));
      return undefined;
    }
    const entries = this.entries(list, name, 'Sequential', false);
    if (!entries) return undefined;
    let current: string;
    if (inputs) {
      if (inputs.length !== 1) {
        this.diags.push(layerError(this.file, name, 'Sequential', `a Sequential model takes one input, but is called on ${inputs.length}`));
        return undefined;
      }
      current = inputs[0]!;
    } else {
      const input = this.sequentialInput(entries, config, name);
      if (!input) return undefined;
      current = this.addNode({ name: input.name, className: 'InputLayer', config: {}, inputs: [], scope, inputShape: input.shape });
    }
    for (const e of entries) {
      if (e.className === 'InputLayer') {
        if (e !== entries[0]) {
          this.diags.push(layerError(this.file, e.name, e.className, 'an InputLayer in the middle of a Sequential model'));
          return undefined;
        }
        continue; // its shape was used above (top level) or is the caller's input (nested)
      }
      if (isModelClass(e.className)) {
        const outs = this.expandModel(e.className, e.config, e.name, [...scope, e.name], [current], depth + 1);
        if (!outs) return undefined;
        if (outs.length !== 1) {
          this.diags.push(layerError(this.file, e.name, e.className, `a nested model inside a Sequential must have one output, not ${outs.length}`));
          return undefined;
        }
        current = outs[0]!;
        continue;
      }
      current = this.addLayer(e, [current], scope);
    }
    return [current];
  }

  private expandFunctional(config: Json | undefined, name: string, className: string, scope: string[], inputs: string[] | undefined, depth: number): string[] | undefined {
    if (!isObject(config) || !isArray(config['layers'])) {
      this.diags.push(layerError(this.file, name, className, `expected a config with "layers", found ${describe(config)}`));
      return undefined;
    }
    const entries = this.entries(config['layers'], name, className, true);
    if (!entries) return undefined;
    const inputRefs = this.refList(config['input_layers'], name, className, 'input_layers');
    const outputRefs = this.refList(config['output_layers'], name, className, 'output_layers');
    if (!inputRefs || !outputRefs) return undefined;

    // Layer name (in this model) -> the unique names of the producers of its outputs.
    const resolved = new Map<string, string[]>();
    if (inputs) {
      if (inputRefs.length !== inputs.length) {
        this.diags.push(layerError(this.file, name, className, `the nested model has ${inputRefs.length} inputs but is called on ${inputs.length}`));
        return undefined;
      }
      inputRefs.forEach((r, i) => resolved.set(r.name, [inputs[i]!]));
    } else if (inputRefs.length !== 1) {
      this.diags.push(fileError(this.file, `the model has ${inputRefs.length} inputs; ppvc-dsl models take exactly one (a video frame)`));
      return undefined;
    }

    const refsOf = new Map<Entry, TensorRef[] | undefined>();
    for (const e of entries) refsOf.set(e, this.inboundRefs(e));
    for (const e of topologicalOrder(entries, refsOf)) {
      if (resolved.has(e.name)) continue; // an input aliased to the caller's tensor
      if (e.className === 'InputLayer') {
        if (inputs || !inputRefs.some((r) => r.name === e.name)) {
          this.diags.push(layerError(this.file, e.name, e.className, 'an InputLayer that is not one of the model\'s input_layers'));
          return undefined;
        }
        const shape = this.declaredShape(e);
        if (!shape) return undefined;
        resolved.set(e.name, [this.addNode({ name: e.name, className: 'InputLayer', config: {}, inputs: [], scope, inputShape: shape })]);
        continue;
      }
      const refs = refsOf.get(e);
      if (!refs) return undefined;
      const producers: string[] = [];
      for (const r of refs) {
        const p = resolved.get(r.name)?.[r.tensor];
        if (p === undefined) {
          const known = entries.some((x) => x.name === r.name);
          this.diags.push(
            layerError(this.file, e.name, e.className, known ? `its input '${r.name}' depends on this layer (the graph has a cycle)` : `its input '${r.name}' (tensor ${r.tensor}) is not a layer of this model`),
          );
          return undefined;
        }
        producers.push(p);
      }
      if (isModelClass(e.className)) {
        const outs = this.expandModel(e.className, e.config, e.name, [...scope, e.name], producers, depth + 1);
        if (!outs) return undefined;
        resolved.set(e.name, outs);
      } else {
        resolved.set(e.name, [this.addLayer(e, producers, scope)]);
      }
    }
    const outs: string[] = [];
    for (const r of outputRefs) {
      const p = resolved.get(r.name)?.[r.tensor];
      if (p === undefined) {
        this.diags.push(layerError(this.file, name, className, `output '${r.name}' is not a layer of the model`));
        return undefined;
      }
      outs.push(p);
    }
    return outs;
  }

  private entries(list: Json[], model: string, modelClass: string, functional: boolean, report = true): Entry[] | undefined {
    const out: Entry[] = [];
    const names = new Set<string>();
    for (const [index, raw] of list.entries()) {
      const className = isObject(raw) ? str(raw['class_name']) : undefined;
      if (!isObject(raw) || className === undefined) {
        if (report) this.diags.push(layerError(this.file, model, modelClass, `layer #${index + 1} is not a {"class_name", "config"} object (found ${show(raw)})`));
        return undefined;
      }
      const config = raw['config'];
      const name = str(raw['name']) ?? (isObject(config) ? str(config['name']) : undefined) ?? `${className.toLowerCase()}_${index + 1}`;
      if (names.has(name)) {
        if (report) this.diags.push(layerError(this.file, name, className, `two layers of model '${model}' are named '${name}'`));
        return undefined;
      }
      names.add(name);
      out.push({ index, name, className, config, inbound: functional ? raw['inbound_nodes'] : undefined });
    }
    return out;
  }

  /** The input of a top-level Sequential model: an InputLayer, or a shape on its first layer. */
  private sequentialInput(entries: Entry[], config: Json | undefined, model: string): { name: string; shape: number[] } | undefined {
    const first = entries[0]!;
    const shape = this.findInputShape(first, config, 0);
    if (shape === null) return undefined; // reported
    if (!shape) {
      this.diags.push(
        layerError(this.file, first.name, first.className, `cannot find the input shape of model '${model}'`, [
          'expected an InputLayer, or batch_input_shape / batch_shape / input_shape on the first layer',
        ]),
      );
      return undefined;
    }
    // Keras names the implicit input of a Sequential model `<first layer>_input`.
    return { name: first.className === 'InputLayer' ? first.name : `${first.name}_input`, shape };
  }

  /** undefined: none declared; null: declared but invalid (reported). */
  private findInputShape(first: Entry, seqConfig: Json | undefined, depth: number): number[] | undefined | null {
    if (depth > MAX_DEPTH) return undefined;
    const own = this.declaredShape(first, true);
    if (own !== undefined) return own;
    if (isModelClass(first.className)) {
      const cfg = first.config;
      if (first.className === 'Sequential') {
        const list = isArray(cfg) ? cfg : isObject(cfg) ? cfg['layers'] : undefined;
        const inner = isArray(list) ? this.entries(list, first.name, first.className, false, false) : undefined;
        if (inner && inner.length > 0) {
          const s = this.findInputShape(inner[0]!, cfg, depth + 1);
          if (s !== undefined) return s;
        }
      } else if (isObject(cfg) && isArray(cfg['layers'])) {
        const refs = refListQuiet(cfg['input_layers']);
        const inner = this.entries(cfg['layers'], first.name, first.className, true, false);
        const input = inner?.find((e) => e.name === refs?.[0]?.name);
        if (input) {
          const s = this.declaredShape(input, true);
          if (s !== undefined) return s;
        }
      }
    }
    // Last resorts: the Sequential's build_input_shape, Keras 3's top-level build_config.
    const build = isObject(seqConfig) ? seqConfig['build_input_shape'] : undefined;
    for (const candidate of depth === 0 ? [build, this.rootBuildShape] : [build]) {
      if (candidate !== undefined && candidate !== null) return this.batchShape(candidate, first);
    }
    return undefined;
  }

  /** The shape an entry declares (InputLayer or first layer); undefined if none. */
  private declaredShape(e: Entry, optional = false): number[] | undefined | null {
    const c = isObject(e.config) ? e.config : {};
    for (const key of ['batch_input_shape', 'batch_shape']) {
      if (c[key] !== undefined && c[key] !== null) return this.batchShape(c[key], e);
    }
    if (c['input_shape'] !== undefined && c['input_shape'] !== null) return this.shapeList(c['input_shape'], e, 'input_shape');
    const dim = num(c['input_dim']);
    if (dim !== undefined) return this.shapeList([dim], e, 'input_dim');
    if (optional) return undefined;
    this.diags.push(layerError(this.file, e.name, e.className, 'the InputLayer has no batch_input_shape, batch_shape or input_shape'));
    return null;
  }

  private batchShape(v: Json, e: Entry): number[] | null {
    if (!isArray(v) || v.length < 2) {
      this.diags.push(layerError(this.file, e.name, e.className, `expected an input shape [batch, ...], found ${show(v)}`));
      return null;
    }
    return this.shapeList(v.slice(1), e, 'input shape');
  }

  private shapeList(v: Json, e: Entry, what: string): number[] | null {
    if (!isArray(v) || v.length === 0 || !v.every((d) => Number.isInteger(d) && (d as number) > 0)) {
      const unknown = isArray(v) && v.some((d) => d === null);
      this.diags.push(
        layerError(
          this.file,
          e.name,
          e.className,
          unknown ? `the ${what} ${show(v)} has an unknown (None) dimension; ppvc-dsl needs a fixed frame size` : `invalid ${what} ${show(v)}`,
        ),
      );
      return null;
    }
    return v as number[];
  }

  /** The producers of a functional layer's single call. */
  private inboundRefs(e: Entry): TensorRef[] | undefined {
    if (e.className === 'InputLayer') return [];
    const nodes = e.inbound;
    if (!isArray(nodes) || nodes.length === 0) {
      this.diags.push(layerError(this.file, e.name, e.className, 'the layer has no inbound_nodes (it is not connected)'));
      return undefined;
    }
    if (nodes.length > 1) {
      this.diags.push(
        layerError(this.file, e.name, e.className, `the layer is called ${nodes.length} times (a shared layer); ppvc-dsl needs each layer applied once`),
      );
      return undefined;
    }
    const refs = nodeRefs(nodes[0]!);
    if (!refs || refs.length === 0) {
      this.diags.push(layerError(this.file, e.name, e.className, `cannot read its inbound node ${show(nodes[0])}`));
      return undefined;
    }
    return refs;
  }

  private refList(v: Json | undefined, model: string, className: string, key: string): TensorRef[] | undefined {
    const refs = refListQuiet(v);
    if (!refs || refs.length === 0) {
      this.diags.push(layerError(this.file, model, className, `cannot read ${key}: ${show(v)}`));
      return undefined;
    }
    return refs;
  }

  private addLayer(e: Entry, inputs: string[], scope: string[]): string {
    return this.addNode({ name: e.name, className: e.className, config: isObject(e.config) ? e.config : {}, inputs, scope });
  }

  /** Adds a node under a unique name (prefixed by its scope only if the plain name is taken). */
  private addNode(node: RawNode): string {
    let name = node.name;
    if (this.used.has(name) && node.scope.length > 0) name = `${node.scope.join('/')}/${node.name}`;
    for (let k = 2; this.used.has(name); k++) name = `${node.name}_${k}`;
    this.used.add(name);
    this.nodes.push({ ...node, name });
    return name;
  }
}

/** input_layers / output_layers: [[name, node, tensor], ...], or Keras 3's flat [name, node, tensor]. */
function refListQuiet(v: Json | undefined): TensorRef[] | undefined {
  if (!isArray(v)) return undefined;
  if (typeof v[0] === 'string') {
    const r = tensorRef(v);
    return r ? [r] : undefined;
  }
  const out: TensorRef[] = [];
  for (const item of v) {
    const r = tensorRef(item);
    if (!r) return undefined;
    out.push(r);
  }
  return out;
}

/** [name, node_index, tensor_index, kwargs?] (Keras 1 has no kwargs). */
function tensorRef(v: Json | undefined): TensorRef | undefined {
  if (!isArray(v) || typeof v[0] !== 'string') return undefined;
  const tensor = v.length >= 3 ? num(v[2]) : 0;
  if (tensor === undefined || !Number.isInteger(tensor) || tensor < 0) return undefined;
  return { name: v[0], tensor };
}

/**
 * One inbound node's input tensors. Keras 1/2: [[name, node, tensor(, kwargs)], ...] (some
 * tf.keras versions write a single ref unwrapped); Keras 3: {args: [...], kwargs: {...}}
 * with {class_name: "__keras_tensor__", config: {keras_history: [name, node, tensor]}}
 * objects inside args (a list of them for merge layers).
 */
function nodeRefs(node: Json): TensorRef[] | undefined {
  if (isObject(node)) {
    const out: TensorRef[] = [];
    collectKerasTensors(node['args'], out, 0);
    return out;
  }
  if (!isArray(node)) return undefined;
  if (typeof node[0] === 'string') {
    const r = tensorRef(node);
    return r ? [r] : undefined;
  }
  const out: TensorRef[] = [];
  for (const item of node) {
    const r = tensorRef(item);
    if (!r) return undefined;
    out.push(r);
  }
  return out;
}

function collectKerasTensors(v: Json | undefined, out: TensorRef[], depth: number): void {
  if (depth > 8) return;
  if (isArray(v)) {
    for (const item of v) collectKerasTensors(item, out, depth + 1);
  } else if (isObject(v) && v['class_name'] === '__keras_tensor__' && isObject(v['config'])) {
    const r = tensorRef(v['config']['keras_history']);
    if (r) out.push(r);
  }
}

/** Kahn's algorithm, preferring file order: Keras writes configs in order, so usually a no-op. */
function topologicalOrder(entries: Entry[], refsOf: Map<Entry, TensorRef[] | undefined>): Entry[] {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const done = new Set<Entry>();
  const order: Entry[] = [];
  let progress = true;
  while (order.length < entries.length && progress) {
    progress = false;
    for (const e of entries) {
      if (done.has(e)) continue;
      const deps = (refsOf.get(e) ?? []).map((r) => byName.get(r.name)).filter((d): d is Entry => d !== undefined && d !== e);
      if (deps.every((d) => done.has(d))) {
        done.add(e);
        order.push(e);
        progress = true;
      }
    }
  }
  // A cycle: append the rest in file order; resolving their inputs then reports it.
  for (const e of entries) if (!done.has(e)) order.push(e);
  return order;
}
