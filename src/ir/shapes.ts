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

export function formatShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}
