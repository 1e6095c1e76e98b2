// Pass: a convolution read only by a ReLU fused into an average pooling (relu-into-avgpool)
// leaves its outputs untruncated, and the pooling truncates its window sums instead: one
// truncation per pooled output instead of one per convolution output (the paper's first
// 5x5/2 pooling: 4.7x fewer; a truncation sends 8 bytes per value from party 0 and 16 from
// party 1 under replicated-ring).
//
// The pooling then needs the ReLU's bits of values that carry f more fractional bits. It
// compares the shares' bits above those f bits (the local share split of MP-SPDZ's own
// comparison, with the lowest columns left out): the same k-bit comparison as before, but
// the carry out of the dropped bits is ignored, so a value within (parties - 1) units in the
// last place above zero may count as not positive. That changes a ReLU output by less than
// parties - 1 units in the last place where it happens, about what the truncations it saves
// add (each up to one unit in every value).
import type { Target } from '../ir/pipeline.js';
import { joinNotes, readerCounts, type MpcLayer } from './lower-layers.js';
import { extraBits, winogradTile } from './winograd.js';

/**
 * The layers with every convolution whose only reader is a fused ReLU + average pooling marked
 * `raw`, the pooling `rawInput`; `batch` is the frames per layer call (Winograd's tile choice
 * depends on it). A convolution whose raw window sums would not fit the ring stays truncated.
 */
export function truncAfterPool(layers: MpcLayer[], target: Target, batch: number): MpcLayer[] {
  const readers = readerCounts(layers);
  const out = [...layers];
  out.forEach((pool, p) => {
    if (pool.kind !== 'avgpool' || !pool.relu || pool.inputs.length !== 1) return;
    const c = pool.inputs[0]!;
    const conv = out[c]!;
    if (conv.kind !== 'conv2d' || readers.get(c) !== 1) return;
    // the fractional bits beyond f that the raw outputs carry (PpvcConv2d.raw_bits), and the
    // window sums' bound in the pooling's truncation (PpvcAvgPool2d): k + extra + bits(count - 1)
    const tile = winogradTile(conv, batch, target);
    const extra = target.f + (tile ? extraBits(conv.kernel, tile, target) : 0);
    const countBits = Math.ceil(Math.log2(pool.pool[0] * pool.pool[1]));
    if (target.k + extra + countBits >= target.ringBits) return;
    out[c] = { ...conv, raw: true, note: joinNotes(conv.note, 'outputs left untruncated: the pooling after it truncates') };
    out[p] = { ...pool, rawInput: true, note: joinNotes(pool.note, 'truncates the window sums of the untruncated convolution') };
  });
  return out;
}
