// Shape inference over a flattened Keras graph: each layer's class is normalized
// (keras-layers.ts), then its output shape and parameters computed (shape-rules.ts). The
// tensor layout (channels first or last) flows along the edges, so Keras 1 layers that do
// not record their dim_ordering (UpSampling2D, ZeroPadding2D) compute in their input's.
import type { Diagnostic } from '../diagnostics.js';
import { ConfigReader } from './config-reader.js';
import type { DataFormat, ImportedLayer, LayerConfig } from './imported-model.js';
import { layerSpec } from './keras-layers.js';
import type { RawNode } from './keras-graph.js';
import { layerError } from './messages.js';
import { SPATIAL_OPS, inferLayer } from './shape-rules.js';

interface Tensor {
  shape: number[];
  layout?: DataFormat;
}

/**
 * Infers every layer it can. Layers downstream of one that failed are skipped silently (one
 * error per cause); the caller decides whether the partial list is of use.
 */
export function inferGraph(nodes: RawNode[], file: string, diags: Diagnostic[]): ImportedLayer[] {
  const tensors = new Map<string, Tensor>();
  const layers: ImportedLayer[] = [];
  for (const node of nodes) {
    if (node.className === 'InputLayer' && node.inputShape) {
      tensors.set(node.name, { shape: node.inputShape });
      layers.push(layer(node, 'input', { input_shape: node.inputShape }, [], node.inputShape, []));
      continue;
    }
    const ins = node.inputs.map((n) => tensors.get(n));
    if (ins.some((t) => t === undefined)) continue; // an upstream layer already failed
    const inShapes = ins.map((t) => t!.shape);
    const spec = layerSpec(node.className);
    if (!spec) {
      diags.push(
        layerError(file, node.name, node.className, `unknown layer class '${node.className}': ppvc-dsl cannot import it`, [
          'custom layers, Lambda code and raw TensorFlow ops cannot be translated to MPC; rebuild the model from standard Keras layers',
        ]),
      );
      continue;
    }
    const r = new ConfigReader(node.config);
    const norm = spec(r, { inShapes, inLayout: ins[0]!.layout });
    if (r.problems.length > 0) {
      diags.push(layerError(file, node.name, node.className, `invalid config: ${r.problems.join('; ')}`));
      continue;
    }
    const config = compact(norm.config);
    const res = inferLayer(norm.op, config, inShapes);
    if ('error' in res) {
      diags.push(layerError(file, node.name, node.className, res.error));
      continue;
    }
    // Spatial layers fix the layout of their output; shape-preserving ones pass it on.
    const spatial = SPATIAL_OPS.includes(norm.op === 'custom' ? config.like! : norm.op);
    const layout = spatial ? config.data_format : res.outputShape.length === inShapes[0]!.length ? ins[0]!.layout : undefined;
    tensors.set(node.name, { shape: res.outputShape, layout });
    layers.push(layer(node, norm.op, config, inShapes, res.outputShape, res.params));
  }
  return layers;
}

function layer(
  node: RawNode,
  op: ImportedLayer['op'],
  config: LayerConfig,
  inputShapes: number[][],
  outputShape: number[],
  params: ImportedLayer['params'],
): ImportedLayer {
  const out: ImportedLayer = { name: node.name, className: node.className, op, inputs: node.inputs, config, inputShapes, outputShape, params };
  if (node.scope.length > 0) out.scope = node.scope;
  return out;
}

/** Drops unset keys, so configs print and compare cleanly. */
function compact(c: LayerConfig): LayerConfig {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as LayerConfig;
}
