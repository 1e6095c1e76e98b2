// Converts a channels_first model to the channels-last (NHWC) layout ppvc-dsl computes in.
// Keras stores convolution kernels as [kh, kw, in, out] whatever the data_format, so the
// weights need no change except in one place: a Dense layer after a Flatten of a C,H,W
// tensor has its kernel rows in C,H,W order. That layer is marked (`config.input_order`)
// for whoever loads the weights; anything whose meaning depends on the memory order in a
// way we cannot express (Reshape of an image, Permute, ...) is rejected instead.
import type { Diagnostic } from '../diagnostics.js';
import type { ImportResult, ImportedLayer, ImportedModel, LayerConfig } from './imported-model.js';
import { fileError, layerError } from './messages.js';
import { SPATIAL_OPS } from './shape-rules.js';

/** How a tensor of the channels_first model is laid out. */
type Kind =
  | { k: 'plain' }
  /** A [c, h, w] image. */
  | { k: 'chw' }
  /** A vector flattened from a [c, h, w] image in C,H,W order. */
  | { k: 'flat-chw'; shape: [number, number, number] };

const chwToHwc = (s: number[]): number[] => [s[1]!, s[2]!, s[0]!];
/** Per-example axis of a [c, h, w] tensor -> the same axis of [h, w, c]. */
const AXIS_TO_HWC = [2, 0, 1];

// Long: one case per layer kind of the channels-first to channels-last conversion, sharing what
// each layer's output layout is (kinds) as the layers go.
export function toChannelsLast(model: ImportedModel): ImportResult {
  if (model.dataFormat === 'channels_last') return { model, diagnostics: [] };
  const file = model.file;
  if (model.dataFormat === 'mixed') {
    return { diagnostics: [fileError(file, 'the model mixes channels_first and channels_last layers; it cannot be converted to channels-last')] };
  }
  const diags: Diagnostic[] = [];
  const kinds = new Map<string, Kind>();
  const layers: ImportedLayer[] = [];
  const fail = (l: ImportedLayer, why: string) => {
    diags.push(layerError(file, l.name, l.className, `cannot convert this channels_first model to channels-last: ${why}`));
  };

  for (const l of model.layers) {
    const ins = l.inputs.map((n) => kinds.get(n));
    if (ins.some((k) => k === undefined)) continue; // after a failure
    const inKinds = ins as Kind[];
    const first = inKinds[0];
    const x = l.inputShapes[0];
    const config: LayerConfig = { ...l.config };
    let out: Kind | undefined;
    const isImage = (s: number[] | undefined) => s?.length === 3;

    if (l.op === 'input') {
      if (isImage(l.outputShape)) {
        out = { k: 'chw' };
        config.input_shape = chwToHwc(l.outputShape);
      }
      else if (l.outputShape.length === 1) out = { k: 'plain' };
      else fail(l, `a rank-${l.outputShape.length} input`);
    } else if (SPATIAL_OPS.includes(l.op)) {
      if (first?.k !== 'chw') fail(l, 'a spatial layer whose input is not a [c, h, w] image');
      else {
        config.data_format = 'channels_last';
        out = l.outputShape.length === 3 ? { k: 'chw' } : { k: 'plain' };
      }
    } else {
      switch (l.op) {
        case 'activation':
        case 'relu':
        case 'dropout':
          out = first;
          break;
        case 'add':
          if (inKinds.every((k) => sameKind(k, first!))) out = first;
          else fail(l, 'it adds tensors in different layouts');
          break;
        case 'batchnorm':
        case 'concatenate':
          if (inKinds.some((k) => k.k === 'flat-chw')) fail(l, `${l.op === 'batchnorm' ? 'per-element normalisation' : 'concatenation'} of a vector flattened in C,H,W order`);
          else if (first?.k === 'chw') {
            config.axis = AXIS_TO_HWC[config.axis!];
            out = first;
          } else out = first;
          break;
        case 'flatten':
          if (first?.k === 'chw') {
            // data_format 'channels_first' made Keras transpose to H,W,C before flattening.
            out = l.config.data_format === 'channels_first' ? { k: 'plain' } : { k: 'flat-chw', shape: x as [number, number, number] };
            config.data_format = 'channels_last';
          } else out = first;
          break;
        case 'dense':
          if (first?.k === 'flat-chw') {
            config.input_order = { layout: 'chw', shape: first.shape };
            out = { k: 'plain' };
          } else if (first?.k === 'plain') out = first;
          else fail(l, 'Dense on an image');
          break;
        case 'reshape': {
          const t = config.target_shape!;
          // Only reshapes where C,H,W and H,W,C orders coincide (a single channel, or 1x1).
          const trivial = (s: number[]) => s[0] === 1 || s[1]! * s[2]! === 1;
          if (first?.k === 'plain' && t.length === 1) out = first;
          else if (first?.k === 'plain' && t.length === 3 && trivial(t)) {
            config.target_shape = chwToHwc(t);
            out = { k: 'chw' };
          } else if (first?.k === 'chw' && t.length === 1 && trivial(x!)) out = { k: 'plain' };
          else if (first?.k === 'flat-chw' && t.length === 1) out = first;
          else fail(l, `Reshape to [${t.join(', ')}] depends on the C,H,W memory order`);
          break;
        }
        default:
          fail(l, `'${l.className}' layers are not converted`);
      }
    }
    if (!out) continue;
    kinds.set(l.name, out);
    layers.push({
      ...l,
      config,
      inputShapes: l.inputShapes.map((s, i) => (inKinds[i]?.k === 'chw' ? chwToHwc(s) : s)),
      outputShape: out.k === 'chw' ? chwToHwc(l.outputShape) : l.outputShape,
    });
  }
  const outKind = kinds.get(model.output);
  if (outKind?.k === 'flat-chw') {
    diags.push(fileError(file, `the model's output '${model.output}' is a vector in C,H,W order; it cannot be converted to channels-last`));
  }
  if (!outKind && diags.length === 0) diags.push(fileError(file, `the model's output '${model.output}' was not converted`));
  if (diags.length > 0) return { diagnostics: diags };
  const output = layers.find((l) => l.name === model.output)!;
  return {
    model: { ...model, dataFormat: 'channels_last', inputShape: layers[0]!.outputShape, outputShape: output.outputShape, layers },
    diagnostics: [],
  };
}

function sameKind(a: Kind, b: Kind): boolean {
  return a.k === b.k && (a.k !== 'flat-chw' || (b.k === 'flat-chw' && a.shape.join() === b.shape.join()));
}
