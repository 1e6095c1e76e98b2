// The target's `bound LAYER B` declarations against the model owner's actual weights. A
// comparison narrowed by a bound (passes/narrow-comparisons.ts) gives wrong answers for values
// outside it, so a bound must hold for every video in the declared range, not only for the one
// at hand: the interval bounds (simulate/interval-bounds.ts) prove what no such video can
// exceed. `run`, `deploy`, `export-weights`, `random-weights` and `simulate` refuse weights that
// break a bound which narrows a comparison, before they write or run anything; the last three
// also print the bounds the weights would allow (suggestBounds).
import { UserError, errorAt, type Diagnostic } from '../diagnostics.js';
import { inTargetStatement, type Pipeline, type ValueBound } from '../ir/pipeline.js';
import { tensorsOf, type InputPlan } from '../passes/plan-inputs.js';
import { narrowComparisons } from '../passes/narrow-comparisons.js';
import { provenBounds } from './interval-bounds.js';
import { programLayers, usedBounds } from '../passes/program-layers.js';
import { boundBits } from '../ir/ring-fit.js';

export interface BoundCheck {
  layer: string;
  declared: number;
  /** The largest |value| the weights allow for any video in the declared range. */
  proven: number;
}

/**
 * Each declared bound that narrows a comparison of the program, next to what the weights
 * prove (a bound that narrows nothing, such as one on a convolution whose batch normalisation
 * is folded in, or any with narrow-compare off, is left out: a warning says so at check time).
 * `values` holds the inputs of at least every party that provides parameters.
 */
export function checkBounds(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array | Float64Array>): BoundCheck[] {
  const used = usedBounds(p);
  return used.size === 0 ? [] : compareBounds(p, used, provenLayers(p, plan, values));
}

/** The bounds in `used` next to the interval bounds `proven`. */
function compareBounds(p: Pipeline, used: Set<string>, proven: Map<string, number>): BoundCheck[] {
  const out: BoundCheck[] = [];
  for (const b of p.target.bounds.filter((x) => used.has(x.layer))) {
    // with fold-batchnorm the normalisation's values are its convolution's output
    const holder = p.model.layers.find((l) => 'folded' in l && l.folded?.name === b.layer)?.name ?? b.layer;
    // a bound that narrows a comparison and that nothing proves is broken, not skipped
    out.push({ layer: b.layer, declared: b.value, proven: proven.get(holder) ?? Infinity });
  }
  return out;
}

/** The interval bounds of every layer for these parameters (the parties in `values` that provide any). */
function provenLayers(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array | Float64Array>): Map<string, number> {
  const providers = { ...plan, parties: plan.parties.filter((x) => x.tensors.some((t) => t.role === 'parameter') && values.has(x.party)) };
  return provenBounds(p, tensorsOf(providers, values as Map<number, Float64Array>), p.target.f).layers;
}

/**
 * For a model owner's file about to be written (export-weights, random-weights, the benchmark):
 * throws as assertBoundsHold does, else returns the bounds these weights would allow, from one
 * interval analysis for both.
 */
export function checkAndSuggestBounds(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array | Float64Array>, source: string): BoundSuggestion[] {
  const proven = provenLayers(p, plan, values);
  throwIfBroken(p, compareBounds(p, usedBounds(p), proven), source);
  return suggestBounds(p, proven);
}

/** Throws a UserError naming every bound the weights break (`source`: the file they came from). */
export function assertBoundsHold(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array | Float64Array>, source: string): void {
  throwIfBroken(p, checkBounds(p, plan, values), source);
}

function throwIfBroken(p: Pipeline, checks: BoundCheck[], source: string): void {
  const broken = checks.filter((c) => !(c.proven < c.declared));
  if (broken.length === 0) return;
  const [lo, hi] = p.video.range;
  const diags: Diagnostic[] = broken.map((c) =>
    errorAt(
      p.target.bounds.find((b) => b.layer === c.layer)?.span,
      Number.isFinite(c.proven)
        ? `${source}: with these weights '${c.layer}' can reach ${c.proven.toPrecision(4)} for a video in [${lo}, ${hi}], beyond its declared bound ${c.declared}; the comparisons narrowed to it would give wrong results`
        : `${source}: the weights give '${c.layer}' no finite bound for a video in [${lo}, ${hi}], so its declared bound ${c.declared} cannot be kept`,
      {
        expected: Number.isFinite(c.proven) ? `bound ${c.layer} ${suggestedBound(c.proven)} or more, or no bound` : 'no bound on it',
        found: `bound ${c.layer} ${c.declared}`,
      },
    ),
  );
  throw new UserError(diags);
}

/** The power of two above a proven bound: it costs the same bits as any bound up to it. */
export function suggestedBound(proven: number): number {
  return 2 ** Math.max(-8, Math.ceil(Math.log2(proven * (1 + 1e-9))));
}

export interface BoundSuggestion {
  layer: string;
  bound: number;
  /** The k its comparisons would work on, against precision's. */
  bits: number;
}

/**
 * The bounds worth declaring for these weights: for each layer whose values a comparison of
 * the program tests, the power of two above its proven bound, where that needs fewer bits
 * than precision's k and is not declared already (`proven`: the interval bounds by layer).
 */
export function suggestBounds(p: Pipeline, proven: Map<string, number>): BoundSuggestion[] {
  const candidates: ValueBound[] = [];
  for (const l of p.model.layers) {
    const v = proven.get(l.name);
    // a folded batch normalisation's values are its convolution's output, under its own name
    const layer = ('folded' in l && l.folded?.name) || l.name;
    if (v !== undefined && v > 0) candidates.push({ layer, value: suggestedBound(v) });
  }
  const target = { ...p.target, bounds: candidates, optimizations: { ...p.target.optimizations, 'narrow-compare': false } };
  const { used } = narrowComparisons(programLayers({ ...p, target }), p.model.layers, target);
  const declared = new Map(p.target.bounds.map((b) => [b.layer, b.value]));
  return candidates
    .filter((c) => used.has(c.layer) && !(declared.has(c.layer) && boundBits(declared.get(c.layer)!, p.target.f) <= boundBits(c.value, p.target.f)))
    .map((c) => ({ layer: c.layer, bound: c.value, bits: boundBits(c.value, p.target.f) }));
}

/** One line for simulate's report, or undefined without suggestions. */
export function formatBoundSuggestions(s: BoundSuggestion[], p: Pipeline): string | undefined {
  if (s.length === 0) return undefined;
  const [lo, hi] = p.video.range;
  const bits = s.map((x) => `${x.bits} (${x.layer})`).join(', ');
  return (
    `narrower comparisons: ${inTargetStatement(p.target, s.map((x) => `bound ${x.layer} ${x.bound}`).join('  '))} ` +
    `(proven for any video in [${lo}, ${hi}] with these weights; the comparisons testing those values then work on k = ${bits} instead of ${p.target.k} bits. ` +
    'A bound is public, like the precision: it tells every party a power of two above what these weights can produce there)'
  );
}
