// The one table of MP-SPDZ protocol profiles. The compile options are those MP-SPDZ itself
// recommends: `compile.py -E <short>` sets the ring, the share splitting (-Z) and
// probabilistic truncation per protocol (Compiler/compilerLib.py, MP-SPDZ 0.4.2).

/**
 * How a product is scaled back to f fractional bits. `probabilistic` (cheap): round down or up
 * at random, in proportion; the protocol's own trunc_pr where MP-SPDZ -E enables it; it can leak
 * a little through opened values (eprint 2024/1127). `nearest`: deterministic rounding to
 * nearest (sfix.round_nearest), dearer. Without `trunc`, the protocol's default
 * (`defaultTruncation` below, chosen from measurements: docs/security.md).
 */
export type Truncation = 'probabilistic' | 'nearest';

export type ProtocolName = 'semi2k' | 'spdz2k' | 'dealer-ring' | 'replicated-ring' | 'sy-rep-ring' | 'rep4-ring' | 'emulate';

export interface ProtocolProfile {
  name: ProtocolName;
  /** The name `compile.py -E` and `Scripts/<short>.sh` use. */
  short: string;
  /** Party ids a program may use (inputs, outputs). */
  parties: number;
  /** Processes a local run starts (emulate: one process plays every party, in the clear). */
  processes: number;
  binary: string;
  security: 'semi-honest' | 'malicious';
  corruption: 'dishonest majority' | 'honest majority';
  /** The assumption the protocol's security rests on, in words (README "Security"). */
  threat: string;
  /** What `-E <short>` implies, spelled out for the reader of the generated program. */
  impliedCompileFlags: string[];
  /** Run-time options every party gets, chosen from measurements (README, "Performance"). */
  runtimeFlags: string[];
  /** Whether -E enables probabilistic truncation for this protocol. */
  probabilisticTruncation: boolean;
  /**
   * The truncation after products when the pipeline's target says no `trunc`: `nearest`
   * (deterministic: the opened values depend on the inputs only) where it costs a few percent
   * more on the paper's pipeline, `probabilistic` (with the header's caveat) where it would
   * multiply the cost. scripts/measure-truncation.mjs measures both; docs/security.md,
   * "Choosing the default", has the figures.
   */
  defaultTruncation: Truncation;
  /** What a secret dot product costs: a triple per term (the OT-based two-party protocols:
   * a secret product is the expensive thing, so fewer products matter most) or one
   * communicated value per result whatever its length (replicated sharing). */
  dotProduct: 'per-term' | 'per-result';
  /** What one more bit of a truncation's input costs, in secret products' preprocessing
   * (compile.py -E on 100,000 truncations of 49 and 61 bits and 100,000 products): it prices
   * Winograd's extra fractional bits (passes/winograd.ts). */
  truncationBitCost: number;
  /** The ring sizes MP-SPDZ builds this party program for (Processor/RingMachine.hpp,
   * Machines/spdz2k-party.cpp, Machines/emulate.cpp); others need its RING_SIZE build option. */
  builtInRings: number[];
  /** A one-line description for the protocol table. */
  summary: string;
}

export const PROTOCOLS: Record<ProtocolName, ProtocolProfile> = {
  semi2k: {
    name: 'semi2k',
    short: 'semi2k',
    parties: 2,
    processes: 2,
    binary: 'semi2k-party.x',
    security: 'semi-honest',
    corruption: 'dishonest majority',
    threat: 'secure against either party alone as long as it follows the protocol (a curious party, not a cheating one)',
    impliedCompileFlags: ['-R', '64', '-Z', '2'],
    // OT-based triples in batches of 10,000 instead of 1,000: a million secret products took
    // 7.2 s instead of 9.9 s here
    runtimeFlags: ['-b', '10000'],
    probabilisticTruncation: false,
    // nearest: +3.1% of compile.py's expected communication on the paper's pipeline (146,877 ->
    // 151,369 MB; tiny-2pc: 2.4 -> 2.7 MB sent, 238 -> 403 rounds); its probabilistic truncation is
    // MP-SPDZ's TruncPrRing, not a one-round trunc_pr (which needs k + 40 bits below the ring)
    defaultTruncation: 'nearest',
    dotProduct: 'per-term',
    // 16 B per bit against 2 KB per product
    truncationBitCost: 0.008,
    builtInRings: [64, 72, 128, 192],
    summary: '2 parties, passive security, OT-based triples (the paper: "Passive 2PC")',
  },
  spdz2k: {
    name: 'spdz2k',
    short: 'spdz2k',
    parties: 2,
    processes: 2,
    binary: 'spdz2k-party.x',
    security: 'malicious',
    corruption: 'dishonest majority',
    threat: 'secure against either party alone even if it deviates arbitrarily: cheating is detected and the run aborts (a cheater can stop the run, not learn more)',
    impliedCompileFlags: ['-R', '64'],
    runtimeFlags: [],
    probabilisticTruncation: false,
    // probabilistic: nearest costs +53% on the paper's pipeline (9.2 -> 14.1 TB expected) and
    // +59% on tiny-2pc (538 -> 854 MB sent, 1.9x the time)
    defaultTruncation: 'probabilistic',
    dotProduct: 'per-term',
    // exact truncation through random bits: 40 KB per bit against 36 KB per product
    truncationBitCost: 1.1,
    builtInRings: [64, 72],
    summary: '2 parties, active security, SPDZ2k MACs (the paper: "Active 2PC")',
  },
  'dealer-ring': {
    name: 'dealer-ring',
    short: 'dealer-ring',
    // the video owner and the model owner compute; party 2 is the dealer (MP-SPDZ: the
    // highest-numbered party), which only sends them correlated randomness and holds no input
    parties: 3,
    processes: 3,
    binary: 'dealer-ring-party.x',
    security: 'semi-honest',
    corruption: 'honest majority',
    threat: 'secure against any one party that follows the protocol, the dealer included: the dealer sees nothing of the inputs, but it must not collude with either computing party (together they know every secret)',
    impliedCompileFlags: ['-R', '64', '(edaBits from the dealer)'],
    runtimeFlags: [],
    // MP-SPDZ's dealer protocol has no trunc_pr ("TRUNC_PR: trunc_pr not implemented")
    probabilisticTruncation: false,
    // nearest: the probabilistic alternative is the generic TruncPrRing, which saves 10% of the
    // data on the paper's pipeline (1,108.8 -> 1,003.8 MB sent by party 0, 5,547 -> 4,177
    // rounds, 28.8 -> 26.4 s), not a multiple: deterministic opened values are worth that
    defaultTruncation: 'nearest',
    // additive sharing between the two computing parties: a triple from the dealer per product
    dotProduct: 'per-term',
    // a random bit from the dealer costs about what a triple does, per bit as for semi2k
    truncationBitCost: 0.008,
    builtInRings: [64],
    summary: '2 computing parties and a dealer, passive security, randomness from the dealer (no third party sees any input)',
  },
  'replicated-ring': {
    name: 'replicated-ring',
    short: 'ring',
    parties: 3,
    processes: 3,
    binary: 'replicated-ring-party.x',
    security: 'semi-honest',
    corruption: 'honest majority',
    threat: 'secure while at most one party is corrupted and follows the protocol: any two parties together hold every secret, so no two may collude',
    impliedCompileFlags: ['-R', '64', '-Z', '3', '(probabilistic truncation)'],
    runtimeFlags: [],
    probabilisticTruncation: true,
    // probabilistic (the one-round trunc_pr): nearest doubles the paper's pipeline (58.8 -> 125.3 MB
    // sent by party 0, 221 -> 493 rounds)
    defaultTruncation: 'probabilistic',
    dotProduct: 'per-result',
    truncationBitCost: 0,
    builtInRings: [64, 72, 128, 192],
    summary: '3 parties, passive security, replicated secret sharing (the paper: "Passive 3PC")',
  },
  'sy-rep-ring': {
    name: 'sy-rep-ring',
    short: 'sy-rep-ring',
    parties: 3,
    processes: 3,
    binary: 'sy-rep-ring-party.x',
    security: 'malicious',
    corruption: 'honest majority',
    threat: 'secure against one party that deviates arbitrarily (cheating is detected and the run aborts); any two parties together hold every secret, so no two may collude',
    impliedCompileFlags: ['-R', '64', '-Z', '3'],
    runtimeFlags: [],
    probabilisticTruncation: false,
    // nearest: its probabilistic truncation is MP-SPDZ's TruncPrRing, and rounding to nearest costs
    // +1.5% data on the paper's pipeline (668.0 -> 678.3 MB sent by party 0) in fewer rounds
    // (21,241 -> 18,205)
    defaultTruncation: 'nearest',
    dotProduct: 'per-result',
    truncationBitCost: 0,
    builtInRings: [64, 72, 128],
    summary: '3 parties, active security, SPDZ-wise replicated (the paper: "Active 3PC")',
  },
  'rep4-ring': {
    name: 'rep4-ring',
    short: 'rep4-ring',
    parties: 4,
    processes: 4,
    binary: 'rep4-ring-party.x',
    security: 'malicious',
    corruption: 'honest majority',
    threat: 'secure against one party that deviates arbitrarily (cheating is detected); any two of the four together hold every secret, so no two may collude',
    impliedCompileFlags: ['-R', '64', '-Z', '4', '(probabilistic truncation)'],
    runtimeFlags: [],
    probabilisticTruncation: true,
    // probabilistic (the one-round trunc_pr): nearest costs 12 times the data on the paper's
    // pipeline (125.6 -> 1,505.4 MB sent by party 0, 662 -> 9,001 rounds)
    defaultTruncation: 'probabilistic',
    dotProduct: 'per-result',
    truncationBitCost: 0,
    builtInRings: [64, 72, 128, 192],
    summary: '4 parties, active security, one corruption (the paper: "Active 4PC")',
  },
  emulate: {
    name: 'emulate',
    short: 'emulate',
    parties: 4,
    processes: 1,
    binary: 'emulate.x',
    security: 'semi-honest',
    corruption: 'honest majority',
    threat: 'no security: one process computes everything in the clear',
    impliedCompileFlags: ['-R', '64', '(probabilistic truncation)'],
    runtimeFlags: [],
    probabilisticTruncation: true,
    // as replicated-ring, whose programs it is for (no security either way)
    defaultTruncation: 'probabilistic',
    dotProduct: 'per-result',
    truncationBitCost: 0,
    builtInRings: [64, 128, 192, 256, 384, 512],
    summary: 'no security: one process computes in the clear (MP-SPDZ emulate.x), for development; reads every input from party 0',
  },
};

export const PROTOCOL_NAMES = Object.keys(PROTOCOLS) as ProtocolName[];

export function isProtocolName(s: string): s is ProtocolName {
  return (PROTOCOL_NAMES as string[]).includes(s);
}
