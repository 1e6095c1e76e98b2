// Lowering pass: IR layers -> the layer objects of the generated MP-SPDZ program.
//  - conv2d with a ReLU activation becomes FixConv2d + Relu (FixConv2d has no activation);
//  - flatten disappears: MP-SPDZ and Keras both store a frame as [h, w, c] row-major, so a
//    dense layer reads the previous layer's output memory as it is;
//  - pooling uses ppvc-dsl's vectorised layers (see emit/runtime/helpers.ts);
//  - with `separateDenseRelu`, a dense layer's ReLU becomes a layer of its own, so that it
//    runs as one vector (ppvc-dsl's PpvcRelu) instead of ml.Dense's budget-sized chunks.
import type { Layer, Padding, Shape } from '../ir/pipeline.js';
import { product } from '../ir/pipeline.js';

export type MpcLayer =
  | { kind: 'conv2d'; from: string; inShape: Shape; outShape: Shape; kernel: [number, number]; filters: number; strides: [number, number]; padding: Padding; useBias: boolean }
  | { kind: 'dense'; from: string; dIn: number; dOut: number; relu: boolean; useBias: boolean }
  | { kind: 'relu'; from: string; shape: Shape }
  | { kind: 'avgpool' | 'maxpool'; from: string; inShape: Shape; outShape: Shape; pool: [number, number]; strides: [number, number]; padding: Padding };

export function lowerLayers(layers: Layer[], opts: { separateDenseRelu?: boolean } = {}): MpcLayer[] {
  const out: MpcLayer[] = [];
  for (const l of layers) {
    switch (l.op) {
      case 'conv2d':
        out.push({ kind: 'conv2d', from: l.name, inShape: l.inShape, outShape: l.outShape, kernel: l.kernel, filters: l.filters, strides: l.strides, padding: l.padding, useBias: l.useBias });
        if (l.activation === 'relu') out.push({ kind: 'relu', from: `${l.name} (activation)`, shape: l.outShape });
        break;
      case 'dense':
        if (l.activation === 'relu' && opts.separateDenseRelu) {
          out.push({ kind: 'dense', from: l.name, dIn: product(l.inShape), dOut: l.units, relu: false, useBias: l.useBias });
          out.push({ kind: 'relu', from: `${l.name} (activation)`, shape: [1, l.units] });
        } else {
          out.push({ kind: 'dense', from: l.name, dIn: product(l.inShape), dOut: l.units, relu: l.activation === 'relu', useBias: l.useBias });
        }
        break;
      case 'relu':
        out.push({ kind: 'relu', from: l.name, shape: l.outShape });
        break;
      case 'avgpool':
      case 'maxpool':
        out.push({ kind: l.op, from: l.name, inShape: l.inShape, outShape: l.outShape, pool: l.pool, strides: l.strides, padding: l.padding });
        break;
      case 'flatten':
        break;
    }
  }
  return out;
}
