// The optimisations ppvc-dsl applies to a program, each one switchable (`--opt`), with
// per-protocol defaults chosen from measurements (README, "Performance"). `--style seed`
// turns every one of them off: the paper's hand-written approach, the measurements' baseline.
import { PROTOCOLS, type ProtocolName } from './protocols.js';

export const OPTIMIZATIONS = {
  'batch-frames': 'all selected frames go through the CNN as one batch (off: one frame after another)',
  'vector-layers':
    "whole-tensor convolution, ReLU and pooling layers, one vector operation each (off: MP-SPDZ's stock layers, which loop over frames and channels and split vectors by the compile budget)",
  'fold-batchnorm': "batch normalisation folded into the linear layer before it, in the clear by the model owner (off: a secret scale and shift per channel)",
  'relu-maxpool': 'a ReLU read only by a max pooling runs after it (ReLU is monotone, so the values are the same): pool-size times fewer comparisons',
  'relu-avgpool':
    'a ReLU read only by an average pooling is fused into it: each window sum is a dot product of the comparison bits and the inputs, one secret product per pooled output instead of one per ReLU output. Under replicated sharing (a dot product costs one value whatever its length) less data, more local work: on by default under rep4-ring and sy-rep-ring',
  'trunc-after-pool':
    "a convolution read only by a ReLU that only an average pooling reads is not truncated; the pooling truncates its window sums instead, one truncation per pooled output rather than one per convolution output. Fused into the pooling (relu-avgpool), the ReLU takes its bits from the shares' bits above the extra fractional bits (a value less than parties - 1 units in the last place above zero may count as zero); on its own it compares the untruncated values exactly, on f or more extra bits, and a Winograd convolution whose extra bits would not fit, or under lowgear would widen those comparisons by more than its products save, is computed directly. On by default under rep4-ring and sy-rep-ring (fused) and lowgear (where a comparison and a truncation each cost edaBits: the paper's first layer 971 -> 728 s per frame; under a prime field only where a layer saves at least 10,000 truncations, a batch of edaBits)",
  'narrow-compare':
    "the comparisons that test a layer's values (ReLU, max pooling) work on the bits a target `bound LAYER B` needs instead of precision's k; the model owner's weights are checked against each bound, for any video in the declared range, before an input file is written or a run starts",
  'skip-unread': 'rows and columns that a VALID pooling or convolution never reads are not computed by the layers before it (same values, fewer of them)',
  'matrix-products':
    'convolutions (direct and Winograd), dense layers and the frame selection as memory-based matrix products ([frames x output positions, kernel x in] x [kernel x in, out] for a convolution) in blocks of one shape: protocols with matrix triples make them by whole matrices (dealer-ring from its dealer; hemi and temi by homomorphic encryption, in batches the blocks fill). On by default where the protocol has matrix triples; elsewhere a matrix product costs its scalar products',
  winograd:
    "stride-1 convolutions by Winograd's minimal filtering: F(2x2, 3x3) under replicated sharing (less local work, 4x more dot-product outputs); under semi2k and spdz2k the tile per layer with the fewest secret products (up to 6x6 transform points)",
} as const;

export type OptimizationName = keyof typeof OPTIMIZATIONS;
export type OptimizationSet = Record<OptimizationName, boolean>;
export const OPTIMIZATION_NAMES = Object.keys(OPTIMIZATIONS) as OptimizationName[];

/**
 * Measured on the paper pipeline (README, "Performance"). Winograd is on everywhere: under
 * semi2k and spdz2k every secret product costs its own triple (passes/winograd.ts picks the
 * tile with the fewest: on the paper's CNN 59M convolution products instead of 104M with
 * F(2x2, 3x3) alone); under the replicated protocols a dot product costs one value whatever
 * its length, so Winograd's 4x more dot-product outputs send about 10% more data, but the
 * local arithmetic it saves is most of their time (replicated-ring 4.99 -> 3.15 s, rep4-ring 12.4 -> 10.7 s, fewer rounds).
 * `--opt no-winograd` where bandwidth, not time, is what counts.
 * relu-avgpool with trunc-after-pool is on under rep4-ring and sy-rep-ring, off under
 * replicated-ring (measured on the paper's CNN, seed video, 2026-11-22, label 4 in every run):
 *  - sy-rep-ring: 1,090.4 -> 668.1 MB per party and 54.2 -> 37.4 s (its truncations are exact
 *    and cost about as much as a comparison; 39,616 -> 21,316 rounds);
 *  - rep4-ring: 163.1 -> 125.6 MB, 8.5-9.6 -> 8.8-10.9 s;
 *  - replicated-ring: 58.8 -> 48.1 MB but 2.0-2.6 -> 2.8-3.4 s (the fused pooling's 25-term dot
 *    products and twice the window reads are local work, which is most of its time). With
 *    no-winograd they are its bandwidth setting: 40.4 MB.
 * Under semi2k and spdz2k a dot product costs a triple per term: off.
 * trunc-after-pool alone (the ReLU unfused, comparing the untruncated values) is on under
 * lowgear, where a truncation and a comparison each cost malicious edaBits: the paper's CNN on
 * one frame 2,204.2 -> 1,980.0 s (the first layer with its ReLU and pooling 971 -> 728 s;
 * 2026-12-07). Under hemi it is off: 156.9 -> 216.3 s, its third convolution direct.
 */
export function defaultOptimizations(protocol: ProtocolName): OptimizationSet {
  const fusePools = protocol === 'rep4-ring' || protocol === 'sy-rep-ring';
  const matrixProducts = PROTOCOLS[protocol].matrixTriples !== 'none';
  return {
    'batch-frames': true,
    'vector-layers': true,
    'fold-batchnorm': true,
    'relu-maxpool': true,
    'relu-avgpool': fusePools,
    'trunc-after-pool': fusePools || protocol === 'lowgear',
    'narrow-compare': true,
    'skip-unread': true,
    'matrix-products': matrixProducts,
    winograd: true,
  };
}

export function seedOptimizations(): OptimizationSet {
  return { 'batch-frames': false, 'vector-layers': false, 'fold-batchnorm': false, 'relu-maxpool': false, 'relu-avgpool': false, 'trunc-after-pool': false, 'narrow-compare': false, 'skip-unread': false, 'matrix-products': false, winograd: false };
}

/**
 * `--opt` values: comma-separated names, each optionally prefixed with `no-` (off), e.g.
 * `no-winograd,batch-frames`. Returns the overrides or a message saying what was expected.
 */
export function parseOptimizationSwitches(spec: string): { switches?: Partial<OptimizationSet>; error?: string } {
  const switches: Partial<OptimizationSet> = {};
  for (const raw of spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const on = !raw.startsWith('no-');
    const name = on ? raw : raw.slice(3);
    if (!(OPTIMIZATION_NAMES as string[]).includes(name)) {
      return { error: `--opt: unknown optimisation '${name}'; expected one of ${OPTIMIZATION_NAMES.join(', ')}, each optionally prefixed with no-` };
    }
    // `batch-frames,no-batch-frames` is a contradiction, not "the last one wins"
    if (switches[name as OptimizationName] === !on) return { error: `--opt: '${name}' is switched both on and off` };
    switches[name as OptimizationName] = on;
  }
  return { switches };
}

export function resolveOptimizations(protocol: ProtocolName, style: 'seed' | 'optimized' | undefined, switches: Partial<OptimizationSet> = {}): OptimizationSet {
  const base = style === 'seed' ? seedOptimizations() : defaultOptimizations(protocol);
  return { ...base, ...switches };
}

/** `batch-frames, vector-layers, no-winograd` */
export function describeOptimizations(set: OptimizationSet): string {
  return OPTIMIZATION_NAMES.map((n) => (set[n] ? n : `no-${n}`)).join(', ');
}

/** What is wrong with a target's choice of optimisations: one that costs more under its protocol, or one that does nothing without another. */
export function optimizationWarnings(t: { protocol: ProtocolName; optimizations: OptimizationSet }): string[] {
  const protocol = PROTOCOLS[t.protocol];
  const out: string[] = [];
  if (t.optimizations['relu-avgpool'] && protocol.dotProduct === 'per-term') {
    out.push(
      `--opt relu-avgpool under ${protocol.name} costs more, not less: a dot product there costs a triple per term, so overlapping pooling windows need more secret products than the ReLU's own`,
    );
  }
  return out;
}
