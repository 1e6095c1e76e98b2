// Pass: a convolution whose outputs reach an average pooling only through a ReLU leaves them
// untruncated, and the pooling truncates its window sums instead: one truncation per pooled
// output instead of one per convolution output (the paper's first 5x5/2 pooling: 4.7x fewer).
//
// Two shapes of the same idea:
//  - The ReLU fused into the pooling (relu-into-avgpool, replicated sharing): the pooling
//    needs the ReLU's bits of values that carry f more fractional bits. It compares the
//    shares' bits above those f bits (the local share split of MP-SPDZ's own comparison, with
//    the lowest columns left out): the same k-bit comparison as before, but the carry out of
//    the dropped bits is ignored, so a value within (parties - 1) units in the last place
//    above zero may count as not positive. That changes a ReLU output by less than parties - 1
//    units in the last place where it happens, about what the truncations it saves add. A
//    truncation sends 8 bytes per value from party 0 and 16 from party 1 under replicated-ring.
//  - The ReLU on its own (every other protocol): it compares the untruncated values exactly,
//    on k plus the extra bits, and multiplies by the bit; the pooling sums and truncates. Where
//    a truncation costs about what a comparison does (edaBits under the prime-field
//    protocols: lowgear 3.3 ms a truncation, 3.8 ms a 31-bit and 4.5 ms a 49-bit comparison),
//    a wider comparison in place of a narrow one and a truncation saves about 40% of a value's
//    cost. There each new width of comparison or truncation costs a batch of edaBits,
//    whatever the program uses of it, so the pass acts only where it saves at least a batch's
//    worth of truncations: on a small CNN (tiny-2pc, 54 saved) it cost lowgear 19% more data.
//    And every extra bit widens the ReLU's comparisons and the pooling's truncation: where the
//    protocol prices that (rawBitCost), a Winograd layer with few products to save (the paper's
//    first, one input channel) is computed directly instead.
import { FIELD_PREPROCESSING_BATCH, PROTOCOLS } from '../target/protocols.js';
import { product, type Target } from '../ir/pipeline.js';
import { joinNotes, readerCounts, type MpcLayer } from './lower-layers.js';
import { directCost, extraBits, winogradCost, winogradTile } from './winograd.js';

/**
 * The layers with every convolution whose only reader is a ReLU (fused into an average pooling,
 * or on its own and read only by one) marked `raw`, the layers that read its untruncated values
 * `rawInput`; `batch` is the frames per layer call (Winograd's tile choice depends on it). A
 * convolution whose raw window sums would not fit the ring stays truncated.
 */
export function truncAfterPool(layers: MpcLayer[], target: Target, batch: number): MpcLayer[] {
  const readers = readerCounts(layers);
  const out = [...layers];
  out.forEach((pool, p) => {
    if (pool.kind !== 'avgpool' || pool.inputs.length !== 1) return;
    const chain = rawChain(out, readers, p);
    if (!chain) return;
    const conv = out[chain.conv]!;
    if (conv.kind !== 'conv2d') return;
    // the fractional bits beyond f that the raw outputs carry (PpvcConv2d.raw_bits), and the
    // window sums' bound in the pooling's truncation (PpvcAvgPool2d): k + extra + bits(count - 1)
    const tile = winogradTile(conv, batch, target);
    const countBits = Math.ceil(Math.log2(pool.pool[0] * pool.pool[1]));
    const fits = (extra: number) => target.k + extra + countBits < target.ringBits;
    const winogradExtra = tile && target.f + extraBits(conv.kernel, tile);
    const winogradFits = winogradExtra !== undefined && fits(winogradExtra);
    // Winograd's outputs carry e more bits (6 for F(2x2, 5x5)): where that is what does not
    // fit, the direct convolution does, and its truncations are what the pass saves
    if (!winogradFits && !fits(target.f)) return;
    if (chain.relu !== undefined && PROTOCOLS[target.protocol].domain === 'field' && savedTruncations(conv, pool, batch) < FIELD_PREPROCESSING_BATCH) return;
    const widening = tile !== undefined && winogradFits && chain.relu !== undefined && fits(target.f) && directCheaperRaw(conv, tile, batch, target);
    const direct = tile !== undefined && (!winogradFits || widening);
    const extra = winogradFits && !direct ? winogradExtra : target.f;
    const why = widening ? "Winograd's extra bits would widen the ReLU's comparisons and the pooling's truncations by more than its products save" : "its untruncated outputs would not fit with Winograd's extra bits";
    const note = joinNotes(conv.note, direct ? `direct, not Winograd: ${why}` : undefined, 'outputs left untruncated: the pooling after it truncates');
    out[chain.conv] = { ...conv, raw: true, ...(direct ? { direct: true } : {}), note };
    if (chain.relu !== undefined) {
      const relu = out[chain.relu]!;
      out[chain.relu] = { ...relu, rawInput: true, note: joinNotes(relu.note, `compares the untruncated values (${extra} more bits)`) } as MpcLayer;
    }
    out[p] = { ...pool, rawInput: true, note: joinNotes(pool.note, 'truncates the window sums of the untruncated convolution') };
  });
  return out;
}

/** The convolution (and the ReLU between, if not fused) that an average pooling's raw input would come from, each read by nothing else. */
function rawChain(layers: MpcLayer[], readers: Map<number, number>, p: number): { conv: number; relu?: number } | undefined {
  const pool = layers[p]!;
  if (pool.kind !== 'avgpool') return undefined;
  const r = pool.inputs[0]!;
  if (pool.relu) return readers.get(r) === 1 ? { conv: r } : undefined;
  const relu = layers[r]!;
  // a ReLU6 also clamps from above, at a bound that would need the truncated value
  if (relu.kind !== 'relu' || relu.max !== undefined || readers.get(r) !== 1 || relu.inputs.length !== 1) return undefined;
  const c = relu.inputs[0]!;
  return readers.get(c) === 1 ? { conv: c, relu: r } : undefined;
}

/**
 * Whether the direct convolution is cheaper than its Winograd tile once the tile's e extra bits
 * widen every comparison of the ReLU and the pooling's truncation (the protocol's rawBitCost,
 * in products per bit and output; only where measured).
 */
function directCheaperRaw(conv: Extract<MpcLayer, { kind: 'conv2d' }>, tile: [number, number], batch: number, target: Target): boolean {
  const perBit = PROTOCOLS[target.protocol].rawBitCost;
  if (perBit === undefined) return false;
  const outputs = batch * product(conv.outShape);
  return directCost(conv, batch) <= winogradCost(conv, batch, tile, target) + outputs * extraBits(conv.kernel, tile) * perBit;
}

/** Truncations the pass removes: the convolution's outputs less the pooling's, for `batch` frames. */
function savedTruncations(conv: { outShape: number[] }, pool: { outShape: number[] }, batch: number): number {
  return batch * (product(conv.outShape) - product(pool.outShape));
}
