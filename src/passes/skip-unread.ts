// Pass: rows and columns that no layer reads are not computed. A VALID pooling or a
// convolution whose windows stop short of the end of its input leaves the last rows and
// columns of that input unread, and its producers (ReLU, batch norm, VALID poolings,
// convolutions) then compute only the top-left part that is read. In the paper's CNN the last
// average pooling reads 15 of 16 rows, which, back up the chain, leaves the first convolution
// 41x41 of its 44x44 positions: 13% of its products, truncations and ReLU comparisons were
// spent on values nobody uses. Exact: every value still computed is computed as before (a SAME
// convolution keeps its padding, written out).
import { readerCounts, type MpcLayer } from './lower-layers.js';
import { mpSpdzConvPadding } from '../ir/shapes.js';

type Extent = [number, number];
type Conv = Extract<MpcLayer, { kind: 'conv2d' }>;
type Pool = Extract<MpcLayer, { kind: 'avgpool' | 'maxpool' }>;

/** A SAME convolution's padding as MP-SPDZ computes it from the shapes before any shrinking. */
const writtenPads = (l: Conv): [number, number] | undefined => l.pads ?? (l.padding === 'same' ? mpSpdzConvPadding(l) : undefined);

export function skipUnread(layers: MpcLayer[]): MpcLayer[] {
  const out = layers.map((l) => ({ ...l })) as MpcLayer[];
  const readers = readerCounts(out);

  const extent = (l: MpcLayer): Extent | undefined => {
    const s = l.kind === 'relu' || l.kind === 'batchnorm' ? l.shape : l.kind === 'avgpool' || l.kind === 'maxpool' || l.kind === 'conv2d' ? l.outShape : undefined;
    return s && s.length === 3 ? [s[0]!, s[1]!] : undefined;
  };
  /** The rows and columns a VALID pooling with output extent `e` reads (its helper infers its output from them). */
  const poolReads = (l: Pool, [h, w]: Extent): Extent => [(h - 1) * l.strides[0] + l.pool[0], (w - 1) * l.strides[1] + l.pool[1]];
  /** Whether layer j may compute only its top-left `e`: its output is read by one layer, and its own input still fits. */
  const canShrink = (j: number, e: Extent): boolean => {
    const l = out[j]!;
    if (readers.get(j) !== 1 || !extent(l)) return false;
    // element-wise layers and poolings (which infer their output from their input) need their input shrunk too
    if (l.kind === 'relu' || l.kind === 'batchnorm') return canShrink(l.inputs[0]!, e);
    if (l.kind === 'avgpool' || l.kind === 'maxpool') return l.padding === 'valid' && canShrink(l.inputs[0]!, poolReads(l, e));
    return l.kind === 'conv2d';
  };
  const shrink = (j: number, [h, w]: Extent, original: string) => {
    const l = out[j]!;
    const note = `computes ${h}x${w} of ${original}: the rest is never read`;
    if (l.kind === 'relu' || l.kind === 'batchnorm') {
      out[j] = { ...l, shape: [h, w, l.shape[2]!], note };
      shrink(l.inputs[0]!, [h, w], original);
    } else if (l.kind === 'avgpool' || l.kind === 'maxpool') {
      const [ih, iw] = poolReads(l, [h, w]);
      out[j] = { ...l, inShape: [ih, iw, l.inShape[2]!], outShape: [h, w, l.outShape[2]!], note };
      shrink(l.inputs[0]!, [ih, iw], `${l.inShape[0]}x${l.inShape[1]}`);
    } else if (l.kind === 'conv2d') {
      // the padding written out as it was: the computed windows stay where they were
      out[j] = { ...l, outShape: [h, w, l.outShape[2]!], note, pads: writtenPads(l) };
    }
  };
  /** The rows and columns of its input that a pooling or convolution reads. */
  const reads = (l: MpcLayer): Extent | undefined => {
    if (l.kind === 'avgpool' || l.kind === 'maxpool') return l.padding === 'valid' ? poolReads(l, [l.outShape[0]!, l.outShape[1]!]) : undefined;
    if (l.kind === 'conv2d') {
      const pads = l.pads ?? mpSpdzConvPadding(l);
      return [0, 1].map((a) => Math.min(l.inShape[a]!, (l.outShape[a]! - 1) * l.strides[a]! + l.kernel[a]! - pads[a]!)) as Extent;
    }
    return undefined;
  };

  // last to first: a layer that was shrunk has been visited after its readers, so its own
  // smaller need reaches its producers in turn
  for (let c = out.length - 1; c > 0; c--) {
    const l = out[c]!;
    if (l.inputs.length !== 1) continue;
    const need = reads(l);
    const p = l.inputs[0]!;
    const has = extent(out[p]!);
    if (!need || !has || (need[0] >= has[0] && need[1] >= has[1])) continue;
    const e: Extent = [Math.min(need[0], has[0]), Math.min(need[1], has[1])];
    if (!canShrink(p, e)) continue;
    shrink(p, e, `${has[0]}x${has[1]}`);
    if (l.kind === 'conv2d') out[c] = { ...l, pads: writtenPads(l), inShape: [e[0], e[1], l.inShape[2]!] };
    else if (l.kind === 'avgpool' || l.kind === 'maxpool') out[c] = { ...l, inShape: [e[0], e[1], l.inShape[2]!] };
  }
  return out;
}
