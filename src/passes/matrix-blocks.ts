// The block shape of a linear layer's matrix products (`matrix-products`): the emitted program
// computes [rows x inner] x [inner x cols] in blocks of one shape (_ppvc_matrix_products in
// src/emit/runtime/matmul.py), each a memory-based matrix product that a protocol with matrix
// triples makes at once. Chosen per protocol from a cost model whose constants were measured
// on this kind of machine (2 cores; MP-SPDZ master 3a0a7b1d, hemi-party.x, 128-bit prime).
import { PROTOCOLS, type ProtocolProfile } from '../target/protocols.js';
import type { Target } from '../ir/pipeline.js';

export type Block = [rows: number, inner: number, cols: number];

/**
 * hemi's costs, from `xmm_probe` runs (R x K x C blocks, `Scripts/hemi.sh -o verbose_matrix`):
 * 128 blocks 64 x 100 x 64 took 72.1 s of preprocessing (one batch: 100 x 64 ciphertext-
 * plaintext products, 11 ms each) and 3.1 s online (1.6 M opened values, 258 rounds); 8 of them
 * as scalar triples (--plain-matmul) took 38.2 s for 3.3 M products (11.6 us each).
 */
const HE = { secondsPerCiphertextProduct: 0.011, secondsPerOpenedValue: 2e-6, secondsPerBlock: 5e-4, secondsPerScalarProduct: 11.6e-6 };

/** MP-SPDZ's default batch size (OnlineOptions, -b): Hemi::matrix_multiply's largest inner and column count. */
const DEALER_BATCH = 1000;

/** The largest block of at most `cap` that splits `size` into equal parts (the last one padded). */
const evenBlock = (size: number, cap: number) => Math.ceil(size / Math.ceil(size / cap));

/** At most this many blocks per layer: each is a line of the unrolled program. */
const MAX_BLOCKS = 4096;

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** The block sizes worth trying along a dimension of `size`: size / j rounded up, j <= most. */
function candidates(size: number, most: number): number[] {
  const out = new Set<number>();
  for (let j = 1; j <= Math.min(size, most); j++) out.add(ceilDiv(size, j));
  return [...out];
}

/**
 * Seconds the blocks of `count` products of `shape` take under homomorphic matrix triples, or
 * Infinity where MP-SPDZ would make scalar triples instead (Hemi::use_plain_matmul: a batch of
 * slots / min(m, c) triples that the program's blocks of this shape would not use enough of).
 */
function homomorphicSeconds(shape: Block, count: number, block: Block, slots: number): number {
  const [rows, inner, cols] = shape;
  const [m, k, c] = block;
  const blocks = count * ceilDiv(rows, m) * ceilDiv(inner, k) * ceilDiv(cols, c);
  const perBatch = Math.floor(slots / Math.min(m, c));
  const savings = Math.floor((m * c) / (m + c)) + 1;
  if (blocks > MAX_BLOCKS || perBatch === 0 || Math.floor(perBatch / savings) > blocks) return Infinity;
  const batches = ceilDiv(blocks, perBatch);
  return batches * k * Math.max(m, c) * HE.secondsPerCiphertextProduct + blocks * (m * k + k * c) * HE.secondsPerOpenedValue + blocks * HE.secondsPerBlock;
}

/** The cheapest block for slots-batched matrix triples, if it beats scalar triples. */
function homomorphicBlock(shape: Block, count: number, slots: number): Block | undefined {
  const [rows, inner, cols] = shape;
  let best: { block: Block; seconds: number } | undefined;
  for (const m of candidates(rows, 2048)) {
    for (const k of candidates(inner, 64)) {
      for (const c of candidates(cols, 64)) {
        const seconds = homomorphicSeconds(shape, count, [m, k, c], slots);
        if (!best || seconds < best.seconds) best = { block: [m, k, c], seconds };
      }
    }
  }
  const scalar = count * rows * inner * cols * HE.secondsPerScalarProduct;
  return best && best.seconds < scalar ? best.block : undefined;
}

/** The block for `count` products of `shape` under the protocol, or undefined: no matrix products. */
export function blockFor(profile: ProtocolProfile, shape: Block, count = 1): Block | undefined {
  const triples = profile.matrixTriples;
  if (triples === 'none') return undefined;
  // the dealer makes a matrix triple of any shape for the rows x cols shares it sends; MP-SPDZ
  // cuts the inner dimension and the columns at its batch size (-b, 1,000 by default) into
  // shapes the program does not declare, which the dealer then makes too many of: blocks of
  // at most that size, as even as they can be, are shapes the program declares
  if (triples === 'dealer') return [shape[0], evenBlock(shape[1], DEALER_BATCH), evenBlock(shape[2], DEALER_BATCH)];
  return homomorphicBlock(shape, count, triples.slots);
}

/** Whether the target computes linear layers as matrix products in blocks (`matrix-products`). */
function blocksOn(target: Target): boolean {
  return target.optimizations['matrix-products'] && target.optimizations['vector-layers'];
}

/** The block of a dense layer's product [batch, in] x [in, out], or undefined. */
export function denseBlock(dense: { dIn: number; dOut: number }, batch: number, target: Target): Block | undefined {
  return blocksOn(target) ? blockFor(PROTOCOLS[target.protocol], [batch, dense.dIn, dense.dOut]) : undefined;
}

/** The block of the oblivious frame selection [selected, frames] x [frames, h w c], or undefined (frame by frame too). */
export function selectionBlock(selected: number, frames: number, frameValues: number, target: Target): Block | undefined {
  if (!blocksOn(target) || !target.optimizations['batch-frames']) return undefined;
  return blockFor(PROTOCOLS[target.protocol], [selected, frames, frameValues]);
}

/** A convolution's matrix products: [frames x output positions, kh kw in] x [kh kw in, out]. */
export interface MatrixConv {
  inShape: number[];
  outShape: number[];
  kernel: [number, number];
}

/**
 * The block of a convolution computed as matrix products, or undefined. With a Winograd tile,
 * one product [tiles, in] x [in, out] per transform point; else the direct convolution's one.
 */
export function convolutionBlock(conv: MatrixConv, batch: number, target: Target, tile?: [number, number]): Block | undefined {
  if (!blocksOn(target)) return undefined;
  const profile = PROTOCOLS[target.protocol];
  const [oh, ow, out] = conv.outShape as [number, number, number];
  const cin = conv.inShape[2]!;
  if (!tile) return blockFor(profile, [batch * oh * ow, conv.kernel[0] * conv.kernel[1] * cin, out]);
  const tiles = batch * ceilDiv(oh, tile[0]) * ceilDiv(ow, tile[1]);
  const points = (tile[0] + conv.kernel[0] - 1) * (tile[1] + conv.kernel[1] - 1);
  return blockFor(profile, [tiles, cin, out], points);
}
