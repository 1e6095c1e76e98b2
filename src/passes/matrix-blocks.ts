// The block shape of a linear layer's matrix products (`matrix-products`): the emitted program
// computes [rows x inner] x [inner x cols] in blocks of one shape (_ppvc_matrix_products in
// src/emit/runtime/matmul.py), each a memory-based matrix product that a protocol with matrix
// triples makes at once. Chosen per protocol from a cost model whose constants were measured
// on this kind of machine (2 cores; MP-SPDZ master 3a0a7b1d, hemi-party.x, 128-bit prime).
import { PROTOCOLS, type ProtocolProfile } from '../target/protocols.js';
import type { Target } from '../ir/pipeline.js';

export type Block = [rows: number, inner: number, cols: number];

/**
 * hemi's costs on this kind of machine, from probe programs (`Scripts/hemi.sh -b 10000`): a
 * batch of matrix triples (Protocols/HemiMatrixPrep.hpp) encrypts its `inner` columns of A,
 * makes inner x max(rows, cols) ciphertext-plaintext products, and decrypts one masked
 * ciphertext per max(rows, cols). Blocks of 64 x 4 x 64 (one batch: 256 products, 68
 * ciphertexts) took 6.4 s, 8 x 1 x 512 (512 and 513) 33.8 s, 32 x 16 x 128 (2,048 and 144)
 * 33.3 s, 64 x 100 x 64 (6,400 and 164) 72.1 s: about 10.5 ms per product and 50 ms per
 * ciphertext. Online, 1.6 M opened values and their 258 rounds took 3.1 s. 3.3 M scalar
 * triples (--plain-matmul) took 38.2 s. A probabilistic truncation took 12.7 us on 31 bits and
 * 16.3 us on 62 (100,000 of each). Measured with MP-SPDZ's 128-bit prime: the 106-bit one the
 * parties get (protocols.ts, partyFlags) makes the homomorphic costs about a third lower, which
 * scales the matrix triples' costs alike and so leaves the choices as they are.
 */
export const HEMI_SECONDS = {
  perCiphertextProduct: 0.0105,
  perCiphertext: 0.05,
  perOpenedValue: 2e-6,
  perBlock: 5e-4,
  perScalarProduct: 11.6e-6,
  perTruncatedBit: 0.12e-6,
};

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
  const wide = Math.max(m, c);
  const preprocessing = batches * (k * wide * HEMI_SECONDS.perCiphertextProduct + (k + wide) * HEMI_SECONDS.perCiphertext);
  return preprocessing + blocks * ((m * k + k * c) * HEMI_SECONDS.perOpenedValue + HEMI_SECONDS.perBlock);
}

/** A product's plan under slots-batched matrix triples: the cheapest block, or none where
 * scalar triples are cheaper, and the seconds it is modelled to take. */
interface HomomorphicPlan {
  block?: Block;
  seconds: number;
}

const plans = new Map<string, HomomorphicPlan>();

function homomorphicPlan(shape: Block, count: number, slots: number): HomomorphicPlan {
  // the emitter, the memory estimate and the Winograd tile choice all ask for the same shapes
  const key = `${shape.join('x')}*${count}/${slots}`;
  if (!plans.has(key)) plans.set(key, searchHomomorphicPlan(shape, count, slots));
  return plans.get(key)!;
}

function searchHomomorphicPlan(shape: Block, count: number, slots: number): HomomorphicPlan {
  const [rows, inner, cols] = shape;
  let best: HomomorphicPlan = { seconds: count * rows * inner * cols * HEMI_SECONDS.perScalarProduct };
  for (const m of candidates(rows, 2048)) {
    for (const k of candidates(inner, 64)) {
      for (const c of candidates(cols, 64)) {
        const seconds = homomorphicSeconds(shape, count, [m, k, c], slots);
        if (seconds < best.seconds) best = { block: [m, k, c], seconds };
      }
    }
  }
  return best;
}

/**
 * Seconds `count` products of `shape` are modelled to take under the target's homomorphic
 * matrix triples (in the cheapest blocks, or scalar triples), or undefined where the target
 * has no such model (no `matrix-products`, or the dealer's triples, which cost no computation).
 */
export function homomorphicProductSeconds(target: Target, shape: Block, count = 1): number | undefined {
  const triples = PROTOCOLS[target.protocol].matrixTriples;
  if (!blocksOn(target) || typeof triples !== 'object') return undefined;
  return homomorphicPlan(shape, count, triples.slots).seconds;
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
  return homomorphicPlan(shape, count, triples.slots).block;
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
 * A convolution's matrix products: with a Winograd tile, one [tiles, in] x [in, out] per
 * transform point; else the direct convolution's one [frames x output positions, kh kw in] x
 * [kh kw in, out].
 */
export function convolutionProducts(conv: MatrixConv, batch: number, tile?: [number, number]): { shape: Block; count: number } {
  const [oh, ow, out] = conv.outShape as [number, number, number];
  const cin = conv.inShape[2]!;
  if (!tile) return { shape: [batch * oh * ow, conv.kernel[0] * conv.kernel[1] * cin, out], count: 1 };
  const tiles = batch * ceilDiv(oh, tile[0]) * ceilDiv(ow, tile[1]);
  const points = (tile[0] + conv.kernel[0] - 1) * (tile[1] + conv.kernel[1] - 1);
  return { shape: [tiles, cin, out], count: points };
}

/** The block of a convolution computed as matrix products (convolutionProducts), or undefined. */
export function convolutionBlock(conv: MatrixConv, batch: number, target: Target, tile?: [number, number]): Block | undefined {
  if (!blocksOn(target)) return undefined;
  const { shape, count } = convolutionProducts(conv, batch, tile);
  return blockFor(PROTOCOLS[target.protocol], shape, count);
}
