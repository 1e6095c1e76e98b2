// Lowering pass: IR layers -> the layer objects of the generated MP-SPDZ program, wired as
// a graph (`inputs` are indices of producer objects; object 0 holds the frames).
//  - conv2d / depthwise with a ReLU become the convolution + a ReLU object;
//  - flatten, reshape and dropout disappear: MP-SPDZ and Keras both store a frame row-major
//    [h, w, c], so the next layer reads the producer's memory as it is;
//  - global pooling is pooling over the whole frame;
//  - with `separateDenseRelu`, a dense layer's ReLU becomes an object of its own, so that it
//    runs as one vector (ppvc-dsl's PpvcRelu) instead of ml.Dense's budget-sized chunks.
import type { Layer, Padding, Shape } from '../ir/pipeline.js';
import { INPUT, product } from '../ir/pipeline.js';

interface Base {
  from: string;
  /** Producer objects (indices into the lowered list). */
  inputs: number[];
  /** What a pass changed, for the program's comment. */
  note?: string;
}

export type MpcLayer = Base &
  (
    | { kind: 'input'; shape: Shape }
    | {
        kind: 'conv2d';
        inShape: Shape;
        outShape: Shape;
        kernel: [number, number];
        filters: number;
        strides: [number, number];
        padding: Padding;
        /** Top and left padding written out (passes/skip-unread.ts: the shapes no longer imply it). */
        pads?: [number, number];
        useBias: boolean;
        /** Outputs left untruncated, 2f fractional bits or more: an average pooling after its ReLU truncates (passes/trunc-after-pool.ts). */
        raw?: boolean;
        /** Kept direct, not Winograd: its raw outputs would not fit with Winograd's extra bits (passes/trunc-after-pool.ts). */
        direct?: boolean;
      }
    | { kind: 'depthwise'; inShape: Shape; outShape: Shape; kernel: [number, number]; multiplier: number; strides: [number, number]; padding: Padding; useBias: boolean }
    | { kind: 'dense'; dIn: number; dOut: number; relu: boolean; useBias: boolean }
    | {
        kind: 'relu';
        shape: Shape;
        max?: number;
        /** The comparison's k when a declared bound allows fewer than precision's (passes/narrow-comparisons.ts). */
        compareBits?: number;
        /** Its input is a convolution's untruncated output, and so is its own: an average pooling after it truncates (passes/trunc-after-pool.ts). */
        rawInput?: boolean;
      }
    | {
        kind: 'avgpool' | 'maxpool';
        inShape: Shape;
        outShape: Shape;
        pool: [number, number];
        strides: [number, number];
        padding: Padding;
        /** Average pooling only: the ReLU of its input is applied first (passes/relu-into-avgpool.ts). */
        relu?: boolean;
        /** Its input is a convolution's untruncated output (passes/trunc-after-pool.ts). */
        rawInput?: boolean;
        /** Max pooling, or a fused ReLU: the comparison's k when a declared bound allows fewer than precision's (passes/narrow-comparisons.ts). */
        compareBits?: number;
        /** Max pooling moved before the ReLU that read it (passes/relu-after-maxpool.ts): it pools the ReLU's inputs, not its source layer's values. */
        beforeRelu?: boolean;
      }
    | { kind: 'batchnorm'; shape: Shape }
    | { kind: 'zeropad' | 'crop'; inShape: Shape; sides: [number, number, number, number] }
    | { kind: 'add' | 'concat'; shape: Shape }
  );

export function lowerLayers(layers: Layer[], inputShape: Shape, opts: { separateDenseRelu?: boolean } = {}): MpcLayer[] {
  const out: MpcLayer[] = [{ kind: 'input', from: INPUT, inputs: [], shape: inputShape }];
  /** IR layer name -> the object whose output holds it. */
  const holder = new Map<string, number>([[INPUT, 0]]);
  const push = (l: MpcLayer) => out.push(l) - 1;
  for (const l of layers) {
    const inputs = l.inputs.map((i) => holder.get(i)!);
    const after = (index: number) => [index];
    let last: number;
    switch (l.op) {
      case 'conv2d':
        last = push({ kind: 'conv2d', from: l.name, inputs, inShape: l.inShape, outShape: l.outShape, kernel: l.kernel, filters: l.filters, strides: l.strides, padding: l.padding, useBias: l.useBias });
        if (l.activation === 'relu') last = push({ kind: 'relu', from: `${l.name} (activation)`, inputs: after(last), shape: l.outShape });
        break;
      case 'depthwise_conv2d':
        last = push({ kind: 'depthwise', from: l.name, inputs, inShape: l.inShape, outShape: l.outShape, kernel: l.kernel, multiplier: l.multiplier, strides: l.strides, padding: l.padding, useBias: l.useBias });
        if (l.activation === 'relu') last = push({ kind: 'relu', from: `${l.name} (activation)`, inputs: after(last), shape: l.outShape });
        break;
      case 'dense': {
        const separate = l.activation === 'relu' && opts.separateDenseRelu;
        last = push({ kind: 'dense', from: l.name, inputs, dIn: product(l.inShape), dOut: l.units, relu: l.activation === 'relu' && !separate, useBias: l.useBias });
        if (separate) last = push({ kind: 'relu', from: `${l.name} (activation)`, inputs: after(last), shape: [1, l.units] });
        break;
      }
      case 'relu':
        last = push({ kind: 'relu', from: l.name, inputs, shape: l.outShape, ...(l.max !== undefined ? { max: l.max } : {}) });
        break;
      case 'avgpool':
      case 'maxpool':
        last = push({ kind: l.op, from: l.name, inputs, inShape: l.inShape, outShape: l.outShape, pool: l.pool, strides: l.strides, padding: l.padding });
        break;
      case 'global_avgpool':
      case 'global_maxpool': {
        const [h, w, c] = l.inShape as [number, number, number];
        last = push({ kind: l.op === 'global_avgpool' ? 'avgpool' : 'maxpool', from: l.name, inputs, inShape: l.inShape, outShape: [1, 1, c], pool: [h, w], strides: [h, w], padding: 'valid' });
        break;
      }
      case 'batchnorm':
        last = push({ kind: 'batchnorm', from: l.name, inputs, shape: l.inShape });
        break;
      case 'zeropad':
        last = push({ kind: 'zeropad', from: l.name, inputs, inShape: l.inShape, sides: l.pad });
        break;
      case 'crop':
        last = push({ kind: 'crop', from: l.name, inputs, inShape: l.inShape, sides: l.crop });
        break;
      case 'add':
      case 'concat':
        last = push({ kind: l.op, from: l.name, inputs, shape: l.outShape });
        break;
      case 'flatten':
      case 'reshape':
      case 'dropout':
        last = inputs[0]!;
        break;
    }
    holder.set(l.name, last);
  }
  return out;
}

/** How many objects read each object's output (index -> readers): a pass rewrites an object only where it has one. */
export function readerCounts(layers: MpcLayer[]): Map<number, number> {
  const readers = new Map<number, number>();
  for (const l of layers) for (const j of l.inputs) readers.set(j, (readers.get(j) ?? 0) + 1);
  return readers;
}

/** A program comment's notes joined, the absent ones left out. */
export const joinNotes = (...notes: (string | undefined)[]) => notes.filter((n) => n !== undefined).join('; ');
