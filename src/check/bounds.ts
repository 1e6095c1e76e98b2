// Checks the target's `bound LAYER B` declarations against the model and the precision. A
// bound lets the comparisons that test LAYER's values (ReLU, max pooling) work on the bits B
// needs instead of precision's k (passes/narrow-comparisons.ts): a secure comparison costs
// about 0.4 byte per bit and party under replicated-ring, and the paper's first ReLU alone
// runs 753,088 of them. Whether the model owner's weights keep the promise is checked where
// the weights are known (simulate/declared-bounds.ts).
import { type Diagnostic, errorAt, warningAt } from '../diagnostics.js';
import type { Model, Target } from '../ir/pipeline.js';
import { boundBits, precisionLimit } from '../ir/ring-fit.js';

export function checkBoundDeclarations(target: Target, model: Model, diags: Diagnostic[]): void {
  const names = new Set(model.layers.map((l) => l.name));
  const seen = new Set<string>();
  const limit = precisionLimit(target);
  for (const b of target.bounds) {
    if (!names.has(b.layer)) {
      diags.push(
        errorAt(b.span, `bound: the model has no layer '${b.layer}'`, {
          expected: `a layer of model '${model.name}' whose values a ReLU or a max pooling tests, e.g. ${tested(model).slice(0, 4).join(', ') || model.layers[0]?.name}`,
          found: `'${b.layer}'`,
        }),
      );
      continue;
    }
    if (seen.has(b.layer)) {
      diags.push(errorAt(b.span, `bound: '${b.layer}' is bounded twice`, { expected: 'one bound per layer' }));
      continue;
    }
    seen.add(b.layer);
    if (b.value > limit) {
      diags.push(
        errorAt(b.span, `bound ${b.layer} ${b.value} is wider than precision ${target.f} ${target.k} holds`, {
          expected: `a bound of at most ${limit} (or a wider precision)`,
          found: String(b.value),
        }),
      );
    } else if (boundBits(b.value, target.f) >= target.k) {
      diags.push(
        warningAt(b.span, `bound ${b.layer} ${b.value} needs all ${target.k} bits of precision ${target.f} ${target.k}: its comparisons stay as they are`),
      );
    }
  }
}

/** Layers whose values a comparison tests before any pass: read by a ReLU or a max pooling, or with a ReLU activation. */
function tested(model: Model): string[] {
  const out = new Set<string>();
  for (const l of model.layers) {
    if ('activation' in l && l.activation === 'relu') out.add(l.name);
    if (l.op === 'relu' || l.op === 'maxpool' || l.op === 'global_maxpool') for (const i of l.inputs) out.add(i);
  }
  return model.layers.map((l) => l.name).filter((n) => out.has(n));
}
