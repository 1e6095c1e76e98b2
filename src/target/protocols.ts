// The one table of MP-SPDZ protocol profiles. The compile options are those MP-SPDZ itself
// recommends: `compile.py -E <short>` sets the ring, the share splitting (-Z) and
// probabilistic truncation per protocol (Compiler/compilerLib.py, MP-SPDZ 0.4.2); ppvc-dsl adds
// edaBits (-Y) for the prime-field protocols, whose comparisons they make cheaper.

/**
 * How a product is scaled back to f fractional bits. `probabilistic` (cheap): round down or up
 * at random, in proportion; the protocol's own trunc_pr where MP-SPDZ -E enables it; it can leak
 * a little through opened values (eprint 2024/1127). `nearest`: deterministic rounding to
 * nearest (sfix.round_nearest), dearer. Without `trunc`, the protocol's default
 * (`defaultTruncation` below, chosen from measurements: docs/security.md).
 */
export type Truncation = 'probabilistic' | 'nearest';

export type ProtocolName = 'semi2k' | 'hemi' | 'temi' | 'spdz2k' | 'lowgear' | 'dealer-ring' | 'replicated-ring' | 'sy-rep-ring' | 'rep4-ring' | 'emulate';

/**
 * What shares are numbers of. `ring`: integers modulo 2^B (`ring B` in the pipeline, compile.py
 * -R B). `field`: integers modulo a prime; the pipeline's `ring B` is then the bit length of the
 * values (compile.py -F B), and every party runs with a prime of B + 42 bits (partyFlags: the
 * statistical masking of comparisons and truncations). So the ring rules (k + f < B, the
 * softmax's sum below B) are the field rules too.
 */
export type Domain = 'ring' | 'field';

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
  domain: Domain;
  /** What `-E <short>` implies, spelled out for the reader of the generated program. */
  impliedCompileFlags: string[];
  /** What ppvc-dsl adds to `compile.py -E <short>` for this protocol. */
  compileFlags: string[];
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
  /** What a secret dot product costs: a triple per term (the two-party protocols, whose
   * triples come from OT, homomorphic encryption or a dealer: a secret product is the expensive
   * thing, so fewer products matter most) or one communicated value per result whatever its
   * length (replicated sharing). */
  dotProduct: 'per-term' | 'per-result';
  /** What one more bit of a truncation's input costs, in secret products' preprocessing
   * (compile.py -E on 100,000 truncations of 49 and 61 bits and 100,000 products): it prices
   * Winograd's extra fractional bits (passes/winograd.ts). */
  truncationBitCost: number;
  /** What one more bit of an untruncated convolution output costs, in secret products, where a
   * ReLU compares it and a pooling truncates the window sums (trunc-after-pool without
   * relu-avgpool): both widen. Measured under lowgear only; elsewhere truncationBitCost. */
  rawBitCost?: number;
  /** The ring sizes MP-SPDZ builds this party program for (Processor/RingMachine.hpp,
   * Machines/spdz2k-party.cpp, Machines/emulate.cpp); others need its RING_SIZE build option.
   * A field protocol's value bit lengths: any whose prime fits the build's (fieldBitsBuilt). */
  builtInRings: number[];
  /**
   * Where a memory-based matrix product (matmulsm) gets its randomness: `none`, a scalar triple
   * per product as for any dot product; `dealer`, one matrix triple of its exact shape from the
   * dealer (the dealer sends the rows x cols shares of C; A and B come from shared seeds);
   * `{ slots }`, matrix triples by homomorphic encryption in batches that fill the ciphertexts'
   * slots (Protocols/HemiMatrixPrep.hpp: slots / min(rows, cols) triples of one shape at a
   * time, at a cost of inner x max(rows, cols) ciphertext-plaintext products).
   */
  matrixTriples: 'none' | 'dealer' | { slots: number };
  /** A one-line description for the protocol table. */
  summary: string;
}

/**
 * The bits a prime needs beyond the values' B (compile.py -F B): the most compile.py asks for
 * with -F B is a comparison of B-bit values (B + 1 bits) masked with 40 statistical bits, one
 * more for the sign: the schedule's `lgp:` line (Programs/Schedules/<name>.sch; 103 for the
 * paper's pipeline at B = 64, 91 for tiny-2pc). Left alone, the party program rounds that up to
 * a multiple of 64 and takes at least 128 bits; a prime of exactly B + 42 bits makes hemi's
 * homomorphic encryption about a third faster (its ciphertexts shrink with the plaintext
 * modulus: probe matrix products 33.3 -> 24.2 s), and a program that needs more stops at once
 * with MP-SPDZ's "Program requires a prime of bit length".
 */
export const FIELD_PRIME_EXTRA_BITS = 42;

/** The largest value bit length a field protocol's default build takes: its primes have at
 * most 128 bits (GFP_MOD_SZ = 2 limbs, Math/gfp.h). */
export const FIELD_BITS_BUILT = 128 - FIELD_PRIME_EXTRA_BITS;

/** The options every party gets: the profile's, and under a prime field the prime's length (-lgp). */
export function partyFlags(profile: ProtocolProfile, valueBits: number): string[] {
  if (profile.domain !== 'field') return profile.runtimeFlags;
  return [...profile.runtimeFlags, '-lgp', String(valueBits + FIELD_PRIME_EXTRA_BITS)];
}

/** Whether MP-SPDZ's default build of the protocol's party program runs `bits` (ring or values). */
export function builtFor(profile: ProtocolProfile, bits: number): boolean {
  return profile.domain === 'field' ? bits <= FIELD_BITS_BUILT : profile.builtInRings.includes(bits);
}

/** "a 64-bit ring" or "64-bit values of a prime field": how messages name where values live. */
export function domainPhrase(profile: ProtocolProfile, bits: number): string {
  return profile.domain === 'field' ? `${bits}-bit values of a prime field (compile.py -F ${bits})` : `a ${bits}-bit ring`;
}

/** Who may be corrupted, and how: the threat models several protocols share. */
const THREATS = {
  passiveTwoParty: {
    security: 'semi-honest',
    corruption: 'dishonest majority',
    threat: 'secure against either party alone as long as it follows the protocol (a curious party, not a cheating one)',
  },
  activeTwoParty: {
    security: 'malicious',
    corruption: 'dishonest majority',
    threat: 'secure against either party alone even if it deviates arbitrarily: cheating is detected and the run aborts (a cheater can stop the run, not learn more)',
  },
  passiveHonestMajority: {
    security: 'semi-honest',
    corruption: 'honest majority',
    threat: 'secure while at most one party is corrupted and follows the protocol: any two parties together hold every secret, so no two may collude',
  },
  activeHonestMajority: {
    security: 'malicious',
    corruption: 'honest majority',
    threat: 'secure against one party that deviates arbitrarily (cheating is detected and the run aborts); any two parties together hold every secret, so no two may collude',
  },
} as const satisfies Record<string, Pick<ProtocolProfile, 'security' | 'corruption' | 'threat'>>;

/**
 * The replicated-sharing programs with MP-SPDZ's one-round trunc_pr (replicated-ring,
 * rep4-ring, and emulate, which runs their programs): a dot product is one communicated value
 * per result, so a truncation's extra bits cost nothing, and -E switches the cheap truncation on.
 */
const REPLICATED_WITH_TRUNC_PR = {
  domain: 'ring',
  matrixTriples: 'none',
  compileFlags: [],
  runtimeFlags: [],
  probabilisticTruncation: true,
  defaultTruncation: 'probabilistic',
  dotProduct: 'per-result',
  truncationBitCost: 0,
} as const satisfies Partial<ProtocolProfile>;

/**
 * The prime-field protocols (hemi, temi, lowgear): -Y makes comparisons and truncations from
 * edaBits (random values with their bits in the binary domain) instead of bit by bit; no
 * trunc_pr (MP-SPDZ enables it for replicated fields only), so the probabilistic truncation is
 * the generic one, as in the rings without trunc_pr.
 */
const PRIME_FIELD = {
  domain: 'field',
  impliedCompileFlags: ['-F', '64'],
  compileFlags: ['-Y'],
  probabilisticTruncation: false,
  dotProduct: 'per-term',
  builtInRings: [64],
} as const satisfies Partial<ProtocolProfile>;

/** The machines' ring sizes where MP-SPDZ instantiates a party program for several
 * (Processor/RingMachine.hpp: 64, 72, 128 and 192 bits). */
const RING_MACHINE_RINGS = [64, 72, 128, 192];

/** The prime-field protocols' preprocessing batch (`-b`): edaBits of each width, triples and
 * matrix triples are made this many at a time. */
export const FIELD_PREPROCESSING_BATCH = 10_000;

/** hemi, and temi (its threshold variant): triples by semi-homomorphic encryption. */
const HOMOMORPHIC_PASSIVE = {
  short: 'hemi',
  parties: 2,
  ...THREATS.passiveTwoParty,
  ...PRIME_FIELD,
  // preprocessing in batches of 10,000: 100,000 truncations and comparisons took 5.5 s instead
  // of 9.5 s (6,274 rounds instead of 46,893)
  runtimeFlags: ['-b', String(FIELD_PREPROCESSING_BATCH)],
  // probabilistic (MP-SPDZ's generic truncation: no trunc_pr in a prime field): nearest costs
  // +23% of compile.py's expected communication on the paper's pipeline (5,690 -> 7,025 MB),
  // where the matrix triples have made the products cheap
  defaultTruncation: 'probabilistic',
  truncationBitCost: 0.008,
  // 8,192 slots for the 128-bit prime: `-o verbose_matrix` reports minimum_batch=128 for 64 rows
  // (hemi and temi alike)
  matrixTriples: { slots: 8192 },
  summary: '2 parties, passive security, a prime field, triples (matrix triples too) by semi-homomorphic encryption',
} as const satisfies Partial<ProtocolProfile>;

/** Name, process count (one per party) and binary (<name>-party.x) where they follow the rule. */
type ProfileFields = Omit<ProtocolProfile, 'name' | 'processes' | 'binary'> & Partial<Pick<ProtocolProfile, 'processes' | 'binary'>>;

function profiles(table: Record<ProtocolName, ProfileFields>): Record<ProtocolName, ProtocolProfile> {
  const entries = Object.entries(table).map(([name, p]) => [name, { name, processes: p.parties, binary: `${name}-party.x`, ...p }]);
  return Object.fromEntries(entries) as Record<ProtocolName, ProtocolProfile>;
}

export const PROTOCOLS: Record<ProtocolName, ProtocolProfile> = profiles({
  semi2k: {
    short: 'semi2k',
    parties: 2,
    ...THREATS.passiveTwoParty,
    domain: 'ring',
    impliedCompileFlags: ['-R', '64', '-Z', '2'],
    compileFlags: [],
    // OT-based triples in batches of 10,000 instead of 1,000: a million secret products took
    // 7.2 s instead of 9.9 s here
    runtimeFlags: ['-b', String(FIELD_PREPROCESSING_BATCH)],
    probabilisticTruncation: false,
    // nearest: +3.1% of compile.py's expected communication on the paper's pipeline (146,877 ->
    // 151,369 MB; tiny-2pc: 2.4 -> 2.7 MB sent, 238 -> 403 rounds); its probabilistic truncation is
    // MP-SPDZ's TruncPrRing, not a one-round trunc_pr (which needs k + 40 bits below the ring)
    defaultTruncation: 'nearest',
    dotProduct: 'per-term',
    // 16 B per bit against 2 KB per product
    truncationBitCost: 0.008,
    builtInRings: RING_MACHINE_RINGS,
    matrixTriples: 'none',
    summary: '2 parties, passive security, OT-based triples (the paper: "Passive 2PC")',
  },
  hemi: HOMOMORPHIC_PASSIVE,
  temi: {
    ...HOMOMORPHIC_PASSIVE,
    short: 'temi',
    summary: "2 parties, passive security, a prime field, triples by threshold homomorphic encryption (hemi's variant)",
  },
  spdz2k: {
    short: 'spdz2k',
    parties: 2,
    ...THREATS.activeTwoParty,
    domain: 'ring',
    impliedCompileFlags: ['-R', '64'],
    compileFlags: [],
    runtimeFlags: [],
    probabilisticTruncation: false,
    // probabilistic: nearest costs +53% on the paper's pipeline (9.2 -> 14.1 TB expected) and
    // +59% on tiny-2pc (538 -> 854 MB sent, 1.9x the time)
    defaultTruncation: 'probabilistic',
    dotProduct: 'per-term',
    // exact truncation through random bits: 40 KB per bit against 36 KB per product
    truncationBitCost: 1.1,
    builtInRings: [64, 72],
    matrixTriples: 'none',
    summary: '2 parties, active security, SPDZ2k MACs (the paper: "Active 2PC")',
  },
  lowgear: {
    short: 'lowgear',
    parties: 2,
    ...THREATS.activeTwoParty,
    ...PRIME_FIELD,
    // preprocessing in batches of 10,000: 100,000 products and 5,000 comparisons took 30.0 s
    // instead of 40.6 s (26.0 s with the 106-bit prime of partyFlags)
    runtimeFlags: ['-b', String(FIELD_PREPROCESSING_BATCH)],
    // nearest: +0.6% of compile.py's expected communication on the paper's pipeline (211,852 ->
    // 213,122 MB): in a prime field both truncations take edaBits, and the triples dominate
    defaultTruncation: 'nearest',
    truncationBitCost: 1.1,
    // the paper's first layer (one frame, raw into its ReLU and pooling) as F(2x2, 5x5), 6 more
    // bits than direct: its ReLU and pooling took 551 -> 807 s (rounds 238k -> 481k) at 107,584
    // outputs, 0.4 ms a bit and output, about 4-6 products at this machine's 65-95 us each
    rawBitCost: 4,
    // no malicious protocol of MP-SPDZ makes matrix triples
    matrixTriples: 'none',
    summary: '2 parties, active security, a prime field, SPDZ triples by semi-homomorphic encryption (LowGear)',
  },
  'dealer-ring': {
    short: 'dealer-ring',
    // the video owner and the model owner compute; party 2 is the dealer (MP-SPDZ: the
    // highest-numbered party), which only sends them correlated randomness and holds no input
    parties: 3,
    security: 'semi-honest',
    corruption: 'honest majority',
    threat: 'secure against any one party that follows the protocol, the dealer included: the dealer sees nothing of the inputs, but it must not collude with either computing party (together they know every secret)',
    domain: 'ring',
    impliedCompileFlags: ['-R', '64', '(edaBits from the dealer)'],
    compileFlags: [],
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
    matrixTriples: 'dealer',
    summary: '2 computing parties and a dealer, passive security, randomness from the dealer (no third party sees any input)',
  },
  'replicated-ring': {
    short: 'ring',
    parties: 3,
    ...THREATS.passiveHonestMajority,
    impliedCompileFlags: ['-R', '64', '-Z', '3', '(probabilistic truncation)'],
    // probabilistic by default: nearest doubles the paper's pipeline (58.8 -> 125.3 MB sent by
    // party 0, 221 -> 493 rounds)
    ...REPLICATED_WITH_TRUNC_PR,
    builtInRings: RING_MACHINE_RINGS,
    summary: '3 parties, passive security, replicated secret sharing (the paper: "Passive 3PC")',
  },
  'sy-rep-ring': {
    short: 'sy-rep-ring',
    parties: 3,
    ...THREATS.activeHonestMajority,
    domain: 'ring',
    impliedCompileFlags: ['-R', '64', '-Z', '3'],
    compileFlags: [],
    runtimeFlags: [],
    probabilisticTruncation: false,
    // nearest: its probabilistic truncation is MP-SPDZ's TruncPrRing, and rounding to nearest costs
    // +1.5% data on the paper's pipeline (668.0 -> 678.3 MB sent by party 0) in fewer rounds
    // (21,241 -> 18,205)
    defaultTruncation: 'nearest',
    dotProduct: 'per-result',
    truncationBitCost: 0,
    builtInRings: [64, 72, 128],
    matrixTriples: 'none',
    summary: '3 parties, active security, SPDZ-wise replicated (the paper: "Active 3PC")',
  },
  'rep4-ring': {
    short: 'rep4-ring',
    parties: 4,
    ...THREATS.activeHonestMajority,
    impliedCompileFlags: ['-R', '64', '-Z', '4', '(probabilistic truncation)'],
    // probabilistic by default: nearest costs 12 times the data on the paper's pipeline (125.6 ->
    // 1,505.4 MB sent by party 0, 662 -> 9,001 rounds)
    ...REPLICATED_WITH_TRUNC_PR,
    builtInRings: RING_MACHINE_RINGS,
    summary: '4 parties, active security, one corruption (the paper: "Active 4PC")',
  },
  emulate: {
    short: 'emulate',
    parties: 4,
    processes: 1,
    binary: 'emulate.x',
    security: 'semi-honest',
    corruption: 'honest majority',
    threat: 'no security: one process computes everything in the clear',
    impliedCompileFlags: ['-R', '64', '(probabilistic truncation)'],
    // as replicated-ring, whose programs it is for (no security either way)
    ...REPLICATED_WITH_TRUNC_PR,
    builtInRings: [64, 128, 192, 256, 384, 512],
    summary: 'no security: one process computes in the clear (MP-SPDZ emulate.x), for development; reads every input from party 0',
  },
});

export const PROTOCOL_NAMES = Object.keys(PROTOCOLS) as ProtocolName[];

export function isProtocolName(s: string): s is ProtocolName {
  return (PROTOCOL_NAMES as string[]).includes(s);
}
