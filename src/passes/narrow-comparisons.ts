// Pass: comparisons on the bits a declared bound needs. sfix's comparison of a value with 0
// (ReLU) or of two values (max pooling) works on k + 1 bits of precision's k, and a secure
// comparison's cost grows with its bits (the carry circuit of MP-SPDZ's share-split
// comparison: about 0.4 byte per bit and party under replicated-ring). A target's
// `bound LAYER B` promises every value of LAYER lies in (-B, B), so a comparison testing them
// works on k' + 1 bits with k' = f + 1 + ceil(log2 B) (check/bounds.ts): the paper's first
// ReLU, whose inputs the weights bound by a few units, on 20 bits instead of 32. Exact as long
// as the promise holds, which is checked against the model owner's weights for every video in
// the declared range before an input file is written or a run starts (simulate/declared-bounds.ts).
//
// A bound reaches the objects that hold LAYER's values: the layer's own object (or, with
// batch normalisation folded into a convolution, the convolution, which then computes the
// normalisation's values), its activation, and what only selects among or averages them
// (poolings, ReLU, padding, cropping). A ReLU6 also compares with its cap and keeps k.
import type { Layer, Target } from '../ir/pipeline.js';
import { joinNotes, type MpcLayer } from './lower-layers.js';
import { boundBits } from '../ir/ring-fit.js';

const ACTIVATION = ' (activation)';

export interface NarrowedComparisons {
  layers: MpcLayer[];
  /** The declared bounds that narrowed at least one comparison. */
  used: Set<string>;
}

/** `irLayers` are the layers the program was lowered from (after fold-batchnorm). */
export function narrowComparisons(layers: MpcLayer[], irLayers: Layer[], target: Target): NarrowedComparisons {
  const used = new Set<string>();
  if (target.bounds.length === 0) return { layers, used };
  const declared = new Map(target.bounds.map((b) => [b.layer, b.value]));
  // IR name -> the declared layer whose values it holds: a folded batch normalisation's
  // values are its convolution's output; the convolution's own (unnormalised) values are gone
  const holds = new Map<string, string>();
  for (const l of irLayers) {
    const folded = 'folded' in l ? l.folded : undefined;
    const name = folded ? folded.name : l.name;
    if (declared.has(name)) holds.set(l.name, name);
  }
  /** The bound on each object's output values and the declared layer it comes from. */
  const bound: ({ value: number; layer: string } | undefined)[] = [];
  const out = layers.map((l, i) => {
    const own = ownName(l);
    const mine = own !== undefined && holds.has(own) ? { value: declared.get(holds.get(own)!)!, layer: holds.get(own)! } : undefined;
    const input = l.inputs.length === 1 ? bound[l.inputs[0]!] : undefined;
    const inherited = passesBound(l) && input ? (l.kind === 'avgpool' ? { ...input, value: averaged(input.value, l.pool, target.f) } : input) : undefined;
    bound[i] = mine && inherited ? (mine.value <= inherited.value ? mine : inherited) : (mine ?? inherited);
    const tests = comparesInput(l) ? input : undefined;
    if (!tests) return l;
    const bits = boundBits(tests.value, target.f);
    if (bits >= target.k) return l;
    used.add(tests.layer);
    // the bound as declared (an average passes on a slightly wider one)
    const note = `comparisons on ${bits} + 1 bits: bound ${tests.layer} ${declared.get(tests.layer)}`;
    return { ...l, compareBits: bits, note: joinNotes(l.note, note) } as MpcLayer;
  });
  return { layers: used.size ? out : layers, used };
}

/**
 * The IR layer whose values (or pre-activation values) an object holds, if it holds one's. A
 * max pooling moved before its ReLU pools the ReLU's inputs: its IR layer's values are the ReLU's
 * output, which only the source layer's bound covers (the pooling's own could be far too small
 * for the negative values it now selects among).
 */
function ownName(l: MpcLayer): string | undefined {
  if (l.kind === 'relu') return l.from.endsWith(ACTIVATION) ? l.from.slice(0, -ACTIVATION.length) : undefined;
  if (l.kind === 'input' || ((l.kind === 'avgpool' || l.kind === 'maxpool') && (l.relu || l.beforeRelu))) return undefined;
  return l.from;
}

/**
 * An average of values in (-B, B), as the program computes it: the divisor's rounding
 * (cfix(1/count), off by up to count * 2^-(f+1) relative) and one truncation can take it a
 * little past B, which a later max pooling's comparison of two values has no margin for.
 */
function averaged(bound: number, pool: [number, number], f: number): number {
  return bound * (1 + (pool[0] * pool[1]) / 2 ** (f + 1)) + 2 / 2 ** f;
}

/** Objects whose outputs lie within their input's bound: they select, average, zero or pad. */
function passesBound(l: MpcLayer): boolean {
  return l.kind === 'relu' || l.kind === 'maxpool' || l.kind === 'avgpool' || l.kind === 'zeropad' || l.kind === 'crop';
}

/** Objects that compare their input's values: a ReLU (not a capped one), a max pooling, a pooling with a fused ReLU. */
function comparesInput(l: MpcLayer): boolean {
  if (l.kind === 'relu') return l.max === undefined;
  return l.kind === 'maxpool' || (l.kind === 'avgpool' && l.relu === true);
}
