// The one table of MP-SPDZ protocol profiles. The compile options are those MP-SPDZ itself
// recommends: `compile.py -E <short>` sets the ring, the share splitting (-Z) and
// probabilistic truncation per protocol (Compiler/compilerLib.py, MP-SPDZ 0.4.2).

export type ProtocolName = 'semi2k' | 'spdz2k' | 'replicated-ring' | 'sy-rep-ring' | 'rep4-ring' | 'emulate';

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
  /** What `-E <short>` implies, spelled out for the reader of the generated program. */
  impliedCompileFlags: string[];
  /** Run-time options every party gets, chosen from measurements (README, "Performance"). */
  runtimeFlags: string[];
  /** Whether -E enables probabilistic truncation for this protocol. */
  probabilisticTruncation: boolean;
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
    impliedCompileFlags: ['-R', '64', '-Z', '2'],
    // OT-based triples in batches of 10,000 instead of 1,000: a million secret products took
    // 7.2 s instead of 9.9 s here
    runtimeFlags: ['-b', '10000'],
    probabilisticTruncation: false,
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
    impliedCompileFlags: ['-R', '64'],
    runtimeFlags: [],
    probabilisticTruncation: false,
    dotProduct: 'per-term',
    // exact truncation through random bits: 40 KB per bit against 36 KB per product
    truncationBitCost: 1.1,
    builtInRings: [64, 72],
    summary: '2 parties, active security, SPDZ2k MACs (the paper: "Active 2PC")',
  },
  'replicated-ring': {
    name: 'replicated-ring',
    short: 'ring',
    parties: 3,
    processes: 3,
    binary: 'replicated-ring-party.x',
    security: 'semi-honest',
    corruption: 'honest majority',
    impliedCompileFlags: ['-R', '64', '-Z', '3', '(probabilistic truncation)'],
    runtimeFlags: [],
    probabilisticTruncation: true,
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
    impliedCompileFlags: ['-R', '64', '-Z', '3'],
    runtimeFlags: [],
    probabilisticTruncation: false,
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
    impliedCompileFlags: ['-R', '64', '-Z', '4', '(probabilistic truncation)'],
    runtimeFlags: [],
    probabilisticTruncation: true,
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
    impliedCompileFlags: ['-R', '64', '(probabilistic truncation)'],
    runtimeFlags: [],
    probabilisticTruncation: true,
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
