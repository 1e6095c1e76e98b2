// Shape inference for the layers the IR knows, shared by the checker and the importers.
// Output sizes follow Keras/TensorFlow: valid = floor((in - k) / s) + 1, same = ceil(in / s).
import type { Padding, Shape } from './pipeline.js';

export function windowOutput(input: number, window: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - window) / stride) + 1;
}

/** TensorFlow's SAME padding: total and leading (top/left) padding of one spatial axis. */
export function samePadding(input: number, window: number, stride: number): { total: number; before: number } {
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + window - input, 0);
  return { total, before: Math.floor(total / 2) };
}

// padding as the generated program computes it

/** ml.ConvBase's SAME padding (MP-SPDZ 0.4.2): tests `in % stride[1]` for both axes. */
export function mpSpdzConvPadding(l: { inShape: number[]; kernel: [number, number]; strides: [number, number]; padding: 'valid' | 'same' }): [number, number] {
  if (l.padding === 'valid') return [0, 0];
  const pads: number[] = [];
  for (const i of [0, 1]) {
    const s = l.strides[i]!;
    const k = l.kernel[i]!;
    const size = l.inShape[i]!;
    const total = size % l.strides[1] === 0 ? Math.max(k - s, 0) : Math.max(k - (size % s), 0);
    pads.push(Math.floor(total / 2));
  }
  return [pads[0]!, pads[1]!];
}

/** Keras / TensorFlow SAME padding before the input (PpvcDepthwiseConv2d and the pooling helpers). */
export function kerasPadding(l: { inShape: number[]; outShape: number[]; kernel: [number, number]; strides: [number, number]; padding: 'valid' | 'same' }): [number, number] {
  if (l.padding === 'valid') return [0, 0];
  const p = [0, 1].map((i) => Math.floor(Math.max((l.outShape[i]! - 1) * l.strides[i]! + l.kernel[i]! - l.inShape[i]!, 0) / 2));
  return [p[0]!, p[1]!];
}

export function formatShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}
