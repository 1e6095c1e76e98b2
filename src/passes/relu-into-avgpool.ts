// Pass: a ReLU read only by an average pooling is fused into it. relu(x) = b * x with
// b = (x > 0), and the pooling sums those products over each window: that sum is a dot
// product of bits and inputs. Under replicated sharing a dot product costs one communicated
// value whatever its length, so the layer pays one secret product per pooled output instead
// of one per ReLU output (the paper's first 5x5/2 pooling: 4.7x fewer, 4.7 MB less per
// party). The values are the same bit for bit: b * x is exact in fixed point, and so is
// the sum. The comparisons are unchanged. Not for protocols where a dot product costs a
// triple per term (semi2k, spdz2k: checkSource warns): overlapping windows would multiply
// the products there.
import { joinNotes, readerCounts, type MpcLayer } from './lower-layers.js';

/** The lowered layers with every ReLU -> average pooling pair fused into the pooling (`relu: true`), indices renumbered. */
export function reluIntoAvgpool(layers: MpcLayer[]): MpcLayer[] {
  const readers = readerCounts(layers);
  const fused = new Set<number>();
  const out = [...layers];
  out.forEach((pool, p) => {
    if (pool.kind !== 'avgpool' || pool.relu || pool.inputs.length !== 1) return;
    const r = pool.inputs[0]!;
    const relu = out[r]!;
    // a ReLU6 also clamps from above: not a 0/1 factor
    if (relu.kind !== 'relu' || relu.max !== undefined || readers.get(r) !== 1) return;
    fused.add(r);
    out[p] = {
      ...pool,
      relu: true,
      inputs: relu.inputs,
      from: `${relu.from} + ${pool.from}`,
      note: joinNotes(relu.note && `ReLU ${relu.note}`, pool.note, 'ReLU fused in: window sums as dot products'),
    };
  });
  if (fused.size === 0) return layers;
  // drop the fused ReLUs; every index after one moves down
  const renumber = new Map<number, number>();
  out.forEach((_, i) => fused.has(i) || renumber.set(i, renumber.size));
  return out.filter((_, i) => !fused.has(i)).map((l) => ({ ...l, inputs: l.inputs.map((j) => renumber.get(j)!) }));
}
