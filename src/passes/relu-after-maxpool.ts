// Pass: a ReLU read only by a max pooling moves after it. ReLU (and ReLU6) is monotone, so
// max(relu(x)) = relu(max(x)) value for value, also in fixed point (both are exact selections
// of existing values) and with SAME padding (the pooling helper repeats a value of the window
// where it lies outside the input). The ReLU then compares pool-size times fewer values:
// with 2x2 pooling a quarter of the comparisons, the costliest operation of a CNN in MPC.
import { readerCounts, type MpcLayer } from './lower-layers.js';
import { product } from '../ir/pipeline.js';

/** The lowered layers with every ReLU -> max pooling pair swapped in place (same indices). */
export function reluAfterMaxpool(layers: MpcLayer[]): MpcLayer[] {
  const readers = readerCounts(layers);
  const out = [...layers];
  // in order, so that a ReLU moved after one pooling moves on past a pooling that follows
  // (swaps keep every index's readers)
  for (let p = 0; p < out.length; p++) {
    const pool = out[p]!;
    // (a stride-1 SAME pooling outputs as many values as it reads: nothing to gain)
    if (pool.kind !== 'maxpool' || pool.inputs.length !== 1 || product(pool.outShape) >= product(pool.inShape)) continue;
    const r = pool.inputs[0]!;
    const relu = out[r]!;
    if (relu.kind !== 'relu' || readers.get(r) !== 1) continue;
    // the pooling takes the ReLU's place and reads its input; the ReLU takes the pooling's
    // place, so every reader of the pooling now reads the ReLU of the pooled values
    out[r] = { ...pool, inputs: relu.inputs, from: pool.from, beforeRelu: true };
    out[p] = { ...relu, inputs: [r], shape: pool.outShape, from: `${relu.from}, moved after ${pool.from}` };
  }
  return out;
}
