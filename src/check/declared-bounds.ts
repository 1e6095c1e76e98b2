// The target's `bound LAYER B` declarations against the model owner's actual weights. A
// comparison narrowed by a bound (passes/narrow-comparisons.ts) gives wrong answers for values
// outside it, so a bound must hold for every video in the declared range, not only for the one
// at hand: the interval bounds (simulate/interval-bounds.ts) prove what no such video can
// exceed. `run`, `export-weights`, `random-weights` and `simulate` refuse weights that break
// a bound, before anything is written.
import { UserError, errorAt, type Diagnostic } from '../diagnostics.js';
import type { Pipeline, ValueBound } from '../ir/pipeline.js';
import { tensorsOf, type InputPlan } from '../passes/plan-inputs.js';
import { narrowComparisons } from '../passes/narrow-comparisons.js';
import { provenBounds } from '../simulate/interval-bounds.js';
import { programLayers } from '../compile.js';
import { boundBits } from './bounds.js';

export interface BoundCheck {
  layer: string;
  declared: number;
  /** The largest |value| the weights allow for any video in the declared range. */
  proven: number;
}

/**
 * Each declared bound next to what the weights prove (a bound on a layer whose own values the
 * program never holds, a convolution with a batch normalisation folded in, narrows nothing
 * and is left out). `values` holds the inputs of at least every party that provides parameters.
 */
export function checkBounds(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array | Float64Array>): BoundCheck[] {
  if (p.target.bounds.length === 0) return [];
  const providers = {
    ...plan,
    parties: plan.parties.filter((x) => x.tensors.some((t) => t.name !== 'video' && t.name !== 'selection') && values.has(x.party)),
  };
  const proven = provenBounds(p, tensorsOf(providers, values as Map<number, Float64Array>), p.target.f).layers;
  const out: BoundCheck[] = [];
  for (const b of p.target.bounds) {
    // with fold-batchnorm the normalisation's values are its convolution's output
    const holder = p.model.layers.find((l) => 'folded' in l && l.folded?.name === b.layer)?.name ?? b.layer;
    const value = proven.get(holder);
    if (value !== undefined) out.push({ layer: b.layer, declared: b.value, proven: value });
  }
  return out;
}

/** Throws a UserError naming every bound the weights break (`source`: the file they came from). */
export function assertBoundsHold(p: Pipeline, plan: InputPlan, values: Map<number, Float32Array | Float64Array>, source: string): void {
  const broken = checkBounds(p, plan, values).filter((c) => !(c.proven < c.declared));
  if (broken.length === 0) return;
  const [lo, hi] = p.video.range;
  const diags: Diagnostic[] = broken.map((c) =>
    errorAt(
      p.target.bounds.find((b) => b.layer === c.layer)?.span,
      `${source}: with these weights '${c.layer}' can reach ${c.proven.toPrecision(4)} for a video in [${lo}, ${hi}], beyond its declared bound ${c.declared}; the comparisons narrowed to it would give wrong results`,
      { expected: `bound ${c.layer} ${suggestedBound(c.proven)} or more, or no bound`, found: `bound ${c.layer} ${c.declared}` },
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
    `narrower comparisons: ${s.map((x) => `bound ${x.layer} ${x.bound}`).join('  ')} in the target statement ` +
    `(proven for any video in [${lo}, ${hi}] with these weights; the comparisons testing those values then work on k = ${bits} instead of ${p.target.k} bits. ` +
    'A bound is public, like the precision: it tells every party a power of two above what the weights can produce there)'
  );
}
