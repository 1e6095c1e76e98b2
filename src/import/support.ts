// What ppvc-dsl can compile to MPC, decided on the normalized graph: the one place to
// change when a lowering for another layer or activation is added. Everything the
// importer only infers shapes for is rejected here with the reason, naming the layer.
import type { Diagnostic } from '../diagnostics.js';
import type { DataFormat, ImportedLayer, ImportedModel, ImportedOp } from './imported-model.js';
import { layerError } from './messages.js';

/** Activations with an MPC lowering: linear and relu exactly, softmax as the frame output. */
export const SUPPORTED_ACTIVATIONS: readonly string[] = ['linear', 'relu', 'softmax'];

export const SUPPORTED_OPS: readonly ImportedOp[] = [
  'input',
  'conv2d',
  'depthwise_conv2d',
  'separable_conv2d',
  'dense',
  'activation',
  'relu',
  'maxpool',
  'avgpool',
  'global_avgpool',
  'global_maxpool',
  'zeropad2d',
  // Cropping is a public slice of the frame: free in MPC.
  'crop2d',
  'flatten',
  'reshape',
  'dropout',
  'batchnorm',
  'add',
  'concatenate',
];

const UNSUPPORTED_OP_REASONS: Partial<Record<ImportedOp, string>> = {
  lambda: 'Lambda layers hold arbitrary Python code (marshalled bytecode) that cannot be translated to MPC',
  custom: 'custom (non-Keras) layer classes such as QKeras quantised layers are not supported',
  upsample2d: 'upsampling layers are not supported by ppvc-dsl',
  permute: 'Permute layers are not supported by ppvc-dsl',
};

const ACTIVATION_HINTS: Record<string, string> = {
  sigmoid: 'sigmoid needs an exponential and a division per value; for a binary classifier, drop the sigmoid and compare the logit with 0',
  tanh: 'tanh needs exponentials; retrain with relu',
  elu: 'elu needs an exponential for negative inputs; retrain with relu',
};

/** The reasons ppvc-dsl cannot compile this layer (empty when it can). */
export function unsupportedReasons(layer: ImportedLayer, dataFormat: DataFormat | 'mixed'): string[] {
  const c = layer.config;
  const reasons: string[] = [];
  if (!SUPPORTED_OPS.includes(layer.op)) {
    if (layer.op === 'tf_op') {
      reasons.push(`a raw TensorFlow op ('${c.tf_op}') wrapped as a layer cannot be imported (tf.keras records expressions such as x + y this way; use keras.layers.Add and friends)`);
    } else if (layer.op === 'merge') {
      reasons.push(`element-wise '${c.mode}' merges are not supported (only sums: Add)`);
    } else {
      reasons.push(UNSUPPORTED_OP_REASONS[layer.op] ?? `'${layer.op}' layers are not supported by ppvc-dsl`);
    }
    return reasons;
  }
  if (c.activation !== undefined && !SUPPORTED_ACTIVATIONS.includes(c.activation)) {
    reasons.push(`activation '${c.activation}' is not supported: ppvc-dsl computes ${SUPPORTED_ACTIVATIONS.join(', ')} only${ACTIVATION_HINTS[c.activation] ? ` (${ACTIVATION_HINTS[c.activation]})` : ''}`);
  }
  if (c.activation === 'softmax' && layer.outputShape.length !== 1) {
    reasons.push(`softmax over the last axis of a [${layer.outputShape.join(', ')}] tensor (per position) is not supported; ppvc-dsl computes softmax on the class scores only`);
  }
  if (layer.op === 'batchnorm' && c.keras1_mode !== undefined && c.keras1_mode !== 0) {
    reasons.push(`Keras 1 BatchNormalization mode ${c.keras1_mode} normalises with statistics of the input itself, not the moving averages`);
  }
  if (layer.op === 'relu') {
    if (c.negative_slope) reasons.push(`a leaky ReLU (negative_slope ${c.negative_slope}) is not supported`);
    if (c.threshold) reasons.push(`a ReLU with threshold ${c.threshold} is not supported`);
  }
  if (c.dilation && (c.dilation[0] !== 1 || c.dilation[1] !== 1)) reasons.push(`dilated convolutions (dilation ${c.dilation.join('x')}) are not supported`);
  if (c.groups !== undefined && c.groups !== 1) reasons.push(`grouped convolutions (groups=${c.groups}) are not supported`);
  const x = layer.inputShapes[0];
  if (layer.op === 'dense' && x && x.length !== 1) {
    reasons.push(`Dense on a rank-${x.length} input [${x.join(', ')}] (Keras applies it to the last axis); ppvc-dsl needs a flat input: add a Flatten before it`);
  }
  if ((layer.op === 'batchnorm' || layer.op === 'concatenate') && x && c.axis !== undefined && c.axis !== channelAxis(x.length, dataFormat)) {
    const what = layer.op === 'batchnorm' ? 'normalises' : 'concatenates';
    reasons.push(
      `it ${what} along axis ${c.axis} of its [${x.join(', ')}] input (Keras axis=${c.axis + 1}), not the channel axis; ppvc-dsl supports only per-channel ${layer.op === 'batchnorm' ? 'normalisation' : 'concatenation'}`,
    );
  }
  return reasons;
}

function channelAxis(rank: number, dataFormat: DataFormat | 'mixed'): number | undefined {
  if (rank === 1) return 0;
  if (rank === 3) return dataFormat === 'channels_first' ? 0 : 2;
  return undefined;
}

/** Every layer ppvc-dsl cannot compile, and model-level problems (layout). */
export function checkSupport(layers: ImportedLayer[], dataFormat: DataFormat | 'mixed', file: string): Diagnostic[] {
  const diags: Diagnostic[] = [];
  for (const l of layers) {
    for (const reason of unsupportedReasons(l, dataFormat)) diags.push(layerError(file, l.name, l.className, reason));
  }
  if (dataFormat === 'mixed') {
    // Name the layers in the minority layout: those are the likely mistakes.
    const spatial = layers.filter((l) => l.op !== 'flatten' && l.config.data_format);
    const first = spatial.filter((l) => l.config.data_format === 'channels_first');
    const last = spatial.filter((l) => l.config.data_format === 'channels_last');
    const [odd, rest] = first.length <= last.length ? [first, last] : [last, first];
    const others = rest.slice(0, 4).map((l) => `'${l.name}'`).join(', ') + (rest.length > 4 ? ', ...' : '');
    for (const l of odd) {
      diags.push(
        layerError(
          file,
          l.name,
          l.className,
          `it computes ${l.config.data_format} but ${others} compute ${rest[0]!.config.data_format}; ppvc-dsl cannot convert a model that mixes data formats to its channels-last layout`,
          ["Keras honours each layer's data_format, so these layers work on different axes; fix the data_format and retrain"],
        ),
      );
    }
  }
  return diags;
}

/** The model's layout from its spatial layers' data_format. */
export function modelDataFormat(layers: ImportedLayer[]): ImportedModel['dataFormat'] {
  const formats = new Set(layers.filter((l) => l.op !== 'flatten' && l.config.data_format).map((l) => l.config.data_format));
  if (formats.size > 1) return 'mixed';
  return formats.has('channels_first') ? 'channels_first' : 'channels_last';
}
