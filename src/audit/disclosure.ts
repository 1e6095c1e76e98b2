// What a pipeline reveals, said once for every place that says it: the generated program's
// header, `ppvc-dsl check`, `ppvc-dsl audit` and docs/security.md. Three parts:
//  - the opened values and their receivers (the pipeline's `reveal` statements; the audit
//    checks the program opens exactly these);
//  - what every party knows from the program itself (it is public: each party compiles it);
//  - the caveat of probabilistic truncation, when the program uses it. MP-SPDZ rounds every
//    fixed-point product down or up at random, up with probability equal to the fraction the
//    truncation drops, and the direction is correlated with what the parties see during the
//    run (the masked values opened by MP-SPDZ's TruncPrRing, or each party's own share in the
//    one-round trunc_pr of the replicated protocols). Opening a value computed this way can
//    therefore tell its receiver something about the dropped low-order bits beyond the
//    deterministically rounded value: the protocols are proven secure for a functionality that
//    includes this behaviour (Santos et al., eprint 2024/1127, "Curl"), not for deterministic
//    rounding (USENIX Security 2023, "Efficient 3PC for Binary Circuits with Application to
//    Maliciously-Secure DNN Inference"; MP-SPDZ issue #1494), and compile.py warns
//    "Probabilistic truncation leaks some information" where it uses TruncPrRing.
// docs/security.md has the details and the cost of `trunc nearest`.
import type { Pipeline, Truncation } from '../ir/pipeline.js';
import { parameterCount, selectedFrames } from '../ir/pipeline.js';
import { formatShape } from '../ir/shapes.js';
import { PROTOCOLS, type ProtocolProfile } from '../target/protocols.js';

/**
 * Which probabilistic truncation a program runs: the protocol's one-round `trunc_pr`
 * (`program.use_trunc_pr = True` under replicated-ring, rep4-ring, emulate), MP-SPDZ's generic
 * TruncPrRing (a masked value opened per truncation: semi2k, spdz2k, sy-rep-ring), or, for a
 * program read without its protocol, the one or the other.
 */
export type TruncationMechanism = 'one-round' | 'generic' | 'either';

const MECHANISM: Record<TruncationMechanism, string> = {
  'one-round': "the protocol's one-round trunc_pr",
  generic: "MP-SPDZ's TruncPrRing: this protocol has no one-round trunc_pr",
  either: "the protocol's one-round trunc_pr where it has one, else MP-SPDZ's TruncPrRing",
};

/** What the opened values are, for the caveat: decisions (a label, vote counts) or fixed-point values (a sum). */
export interface OpenedForCaveat {
  /** `label`: argmax labels only; `votes`: a label and/or vote counts; `values`: fixed-point values (the summed per-class vector); `unknown`: read from a program. */
  kind: 'label' | 'votes' | 'values' | 'unknown';
  /** Who receives them (`alice`, `party 0`). */
  receivers: string;
  /** Classes of the label, for the bound on what a label can carry. */
  classes?: number;
}

const bits = (classes: number) => (Math.log2(classes) < 10 ? Math.log2(classes).toFixed(1) : Math.log2(classes).toFixed(0));

/** The caveat of probabilistic truncation, one paragraph (no leading "Caveat: "). */
export function truncationCaveat(mechanism: TruncationMechanism, opened: OpenedForCaveat): string {
  const head =
    `products are truncated probabilistically (${MECHANISM[mechanism]}): each is rounded down or up at random, ` +
    'up with probability equal to the fraction it drops, and the direction is correlated with what the parties see during the run, ' +
    'so opening a value computed this way can tell its receiver something about the dropped bits (eprint 2024/1127).';
  const bound = opened.classes ? ` (at most the log2 ${opened.classes} = ${bits(opened.classes)} bits a label holds)` : '';
  const who = opened.receivers;
  const tail: Record<OpenedForCaveat['kind'], string> = {
    label:
      ` Only the label is opened: it depends on the roundings only where two classes' sums are within the accumulated rounding error of each other;` +
      ` there it may differ between runs, and what it tells ${who} beyond the deterministically rounded label concerns the dropped bits of values computed from the video and the model${bound}.`,
    votes:
      ` Only the result of the vote is opened: a frame's vote depends on the roundings only where its two top classes are within the accumulated rounding error of each other;` +
      ` there it may differ between runs, and what the result tells ${who} beyond that of deterministic rounding concerns the dropped bits of values computed from the video and the model.`,
    values:
      ` The opened sums are computed this way: their lowest bits carry the random roundings, and what they tell ${who} beyond the deterministically rounded sums concerns the dropped bits of values computed from the video and the model.`,
    unknown: ` What the opened values tell their receivers beyond deterministic rounding concerns the dropped bits of the truncated values they are computed from.`,
  };
  return head + tail[opened.kind] + ' `trunc nearest` rounds deterministically, at a higher cost (docs/security.md).';
}

/** One sentence on deterministic rounding, for programs that use it. */
export const NEAREST_ROUNDING =
  'products are rounded to nearest deterministically (trunc nearest, sfix.round_nearest): the opened values are a deterministic function of the inputs, and no rounding depends on what the parties see during the run.';

/** The mechanism a pipeline's probabilistic truncation uses under its protocol. */
export function mechanismOf(profile: ProtocolProfile): TruncationMechanism {
  return profile.probabilisticTruncation ? 'one-round' : 'generic';
}

export interface Disclosure {
  /** `label -> alice (party 0)`, one per reveal statement. */
  opened: string[];
  /** What every party knows from the program itself, beyond its own input. */
  public: string[];
  truncation: Truncation;
  /** The caveat of probabilistic truncation (undefined with `trunc nearest`). */
  caveat?: string;
  /** The protocol's security model, one line. */
  model: string;
}

/** The protocol's security model and the assumption it rests on, one line. */
export function securityModel(profile: ProtocolProfile): string {
  return `${profile.name}: ${profile.parties} parties, ${profile.security}, ${profile.corruption}; ${profile.threat}`;
}

const receiversOf = (p: Pipeline) => {
  const names = [...new Set(p.reveals.flatMap((r) => r.to.map((t) => t.name)))];
  return names.length ? names.join(' and ') : 'nobody';
};

/** The opened values of a pipeline, as the caveat needs them. */
export function openedForCaveat(p: Pipeline): OpenedForCaveat {
  const kind = p.reveals.some((r) => r.value === 'scores') ? (p.aggregation.kind === 'votes' ? 'votes' : 'values') : p.aggregation.kind === 'votes' ? 'votes' : 'label';
  return { kind, receivers: receiversOf(p), ...(kind === 'label' ? { classes: p.classes } : {}) };
}

/** What a pipeline's program reveals, and to whom. */
export function disclosureOf(p: Pipeline): Disclosure {
  const profile = PROTOCOLS[p.target.protocol];
  const opened = p.reveals.map((r) => `${r.name} -> ${r.to.map((t) => `${t.name} (party ${t.id})`).join(', ')}`);
  const v = p.video;
  const selection =
    p.selection.kind === 'oblivious'
      ? `the number of frames selected (${p.selection.count}; which ones only ${p.selection.chooser.name} knows)`
      : `which frames are classified (public selection: ${selectedFrames(p)} frames, [${p.selection.indices.join(', ')}])`;
  const bounds = p.target.bounds.length ? `the declared bounds (${p.target.bounds.map((b) => `bound ${b.layer} ${b.value}`).join(', ')})` : 'that no bounds are declared';
  const pub = [
    `the protocol (${p.target.protocol}, ${profile.parties} parties), ring ${p.target.ringBits} and precision ${p.target.f} ${p.target.k}`,
    `the video's shape ${formatShape([v.frames, v.height, v.width, v.channels])} and range [${v.range[0]}, ${v.range[1]}]`,
    selection,
    `the model's layer stack and every shape (${p.model.layers.length} layers, ${parameterCount(p.model)} parameters; not the weights)`,
    `the per-frame output (${p.frameOutput}), the aggregation (argmax of the ${p.aggregation.kind}) and the classes (${p.classes})`,
    bounds,
    "each run's rounds and data sent (fixed by the program, not by the inputs) and its time",
  ];
  const caveat = p.target.truncation === 'probabilistic' ? truncationCaveat(mechanismOf(profile), openedForCaveat(p)) : undefined;
  return { opened, public: pub, truncation: p.target.truncation, ...(caveat ? { caveat } : {}), model: securityModel(profile) };
}

/** Wraps a paragraph into lines of at most `width` characters, the first starting with `first`, the others with `rest`. */
export function wrap(text: string, first: string, rest: string, width = 100): string[] {
  const out: string[] = [];
  let line = first;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = rest + word;
    } else {
      line += (empty ? '' : ' ') + word;
    }
    empty = false;
  }
  out.push(line);
  return out;
}

/** `ppvc-dsl check`'s lines on what the program reveals (indented, wrapped). */
export function formatDisclosure(d: Disclosure): string {
  const out = [
    ...wrap(`opened: ${d.opened.length ? d.opened.join('; ') : 'nothing'}; nothing else is opened`, '  ', '    '),
    ...wrap(`security: ${d.model}`, '  ', '    '),
    ...wrap(`public: ${d.public.join('; ')}`, '  ', '    '),
    ...wrap(d.caveat ? `caveat: ${d.caveat}` : `rounding: ${NEAREST_ROUNDING}`, '  ', '    '),
  ];
  return out.join('\n') + '\n';
}
