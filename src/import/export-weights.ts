// export-weights: the model owner's parameters, read from the model file, transformed in the
// clear exactly as the pipeline's IR says (separable convolutions split, batch normalisations
// folded or turned into scale/shift, channels-first Dense rows reordered), in the order and
// layout of inputs.json. Every tensor's shape is checked; nothing is guessed.
import { type Diagnostic, UserError, errorAt } from '../diagnostics.js';
import type { Layer, Pipeline } from '../ir/pipeline.js';
import { layerParams, product } from '../ir/pipeline.js';
import type { ImportedLayer } from './imported-model.js';
import { decodeWeights, loadTfjsWeights } from './tfjs-weights.js';
import { isKerasFile, readKerasFile } from './keras-h5.js';
import { importAsDsl } from './model-file.js';

/** Parameter tensors by inputs.json name (`layer.kernel`), for the pipeline's model; `read` collects the files read. */
export function exportModelWeights(p: Pipeline, modelPath: string, read: string[] = []): Map<string, Float32Array> {
  const diags: Diagnostic[] = [];
  const loaded = importAsDsl(modelPath, diags);
  if (!loaded) throw new UserError(diags);
  if (/\.json$/i.test(modelPath) && !loaded.model.format.startsWith('tfjs')) {
    throw new UserError(`${modelPath}: a Keras JSON file holds the architecture only, no weights; export the model with tensorflowjs_converter (TF.js layers format) to get its weights`);
  }
  const h5 = isKerasFile(modelPath) ? readKerasFile(modelPath).h5 : undefined;
  const w = h5 ? decodeWeights(h5.json['weightsManifest'], () => h5.shard, modelPath) : loadTfjsWeights(modelPath);
  read.push(modelPath, ...(w.files ?? []));
  if (!w.weights) throw new UserError(w.diagnostics);
  const weights = w.weights;
  const out = new Map<string, Float32Array>();
  const fail = (msg: string): never => {
    throw new UserError(errorAt(undefined, `${modelPath}: ${msg}`));
  };
  const source = (name: string) => loaded.dsl.sources.get(name) ?? fail(`the pipeline's layer '${name}' is not in the model file (was the pipeline imported from another model?)`);
  const param = (l: ImportedLayer, name: string, shape: number[]): Float32Array => {
    const p = l.params.find((x) => x.name === name) ?? fail(`layer '${l.name}' (${l.className}) has no parameter '${name}'`);
    const t = (p.source ? weights.get(p.source) : undefined) ?? fail(`the weights of '${l.name}' (${name}) are missing from the weight files (looked for '${p.source ?? name}')`);
    // The file's tensor must have exactly the shape the model file's layer declares (a
    // transposed [3, 18] for [18, 3] has the right size but scrambles the values); that shape
    // is the file's own layout, before any conversion, and has the pipeline's element count.
    const want = product(p.shape) === product(shape) ? p.shape : shape;
    const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
    if (fmt(t.shape) !== fmt(want)) fail(`'${l.name}' ${name} has shape ${fmt(t.shape)}, the pipeline needs ${fmt(want)}`);
    return t.values;
  };
  /** gamma / sqrt(var + eps) and beta - mean * scale of a batch normalisation layer. */
  const affine = (bn: ImportedLayer, channels: number, epsilon: number) => {
    const c = bn.config;
    const mean = param(bn, 'moving_mean', [channels]);
    const variance = param(bn, 'moving_variance', [channels]);
    const gamma = c.scale === false ? undefined : param(bn, 'gamma', [channels]);
    const beta = c.center === false ? undefined : param(bn, 'beta', [channels]);
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let i = 0; i < channels; i++) {
      scale[i] = (gamma ? gamma[i]! : 1) / Math.sqrt(variance[i]! + epsilon);
      shift[i] = (beta ? beta[i]! : 0) - mean[i]! * scale[i]!;
    }
    return { scale, shift };
  };

  for (const layer of p.model.layers) {
    const tensors = layerParams(layer);
    if (tensors.length === 0) continue;
    const src = source(layer.name);
    const shapeOf = (n: string) => tensors.find((t) => t.name === n)!.shape;
    let kernel: Float32Array | undefined;
    let bias: Float32Array | undefined;
    const outChannels = layer.outShape[layer.outShape.length - 1]!;
    switch (layer.op) {
      case 'conv2d':
        kernel = param(src.layer, src.part === 'pointwise' ? 'pointwise_kernel' : 'kernel', shapeOf('kernel'));
        break;
      case 'depthwise_conv2d':
        kernel = param(src.layer, 'depthwise_kernel', shapeOf('depthwise_kernel'));
        break;
      case 'dense':
        kernel = reorderRows(param(src.layer, 'kernel', shapeOf('kernel')), src.layer, layer);
        break;
      case 'batchnorm': {
        const { scale, shift } = affine(src.layer, outChannels, layer.epsilon);
        out.set(`${layer.name}.scale`, scale);
        out.set(`${layer.name}.shift`, shift);
        continue;
      }
    }
    if (!kernel) continue;
    const importedBias = src.part !== 'depthwise' && src.layer.config.use_bias !== false;
    bias = importedBias ? param(src.layer, 'bias', [outChannels]) : new Float32Array(outChannels);
    if ('folded' in layer && layer.folded) {
      const bn = source(layer.folded.name).layer;
      const { scale, shift } = affine(bn, outChannels, layer.folded.epsilon);
      kernel = Float32Array.from(kernel, (v, i) => v * scale[i % outChannels]!);
      bias = Float32Array.from(bias, (v, i) => v * scale[i]! + shift[i]!);
    }
    out.set(`${layer.name}.${tensors[0]!.name}`, kernel);
    if (tensors.some((t) => t.name === 'bias')) out.set(`${layer.name}.bias`, bias);
  }
  return out;
}

/** A channels-first model's Dense-after-Flatten rows are in C,H,W order: reorder to H,W,C. */
function reorderRows(kernel: Float32Array, src: ImportedLayer, layer: Layer): Float32Array {
  const order = src.config.input_order;
  if (!order || layer.op !== 'dense') return kernel;
  const [C, H, W] = order.shape;
  const units = layer.units;
  const out = new Float32Array(kernel.length);
  for (let h = 0; h < H; h++)
    for (let w = 0; w < W; w++)
      for (let c = 0; c < C; c++) {
        const to = ((h * W + w) * C + c) * units;
        const from = ((c * H + h) * W + w) * units;
        out.set(kernel.subarray(from, from + units), to);
      }
  return out;
}
