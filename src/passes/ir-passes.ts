// The passes on the IR itself, before the lowering (passes/index.ts, step 3): what inputs.json,
// the reference evaluator and the program all see. They return a new pipeline and leave the
// checked one as it was.
import type { Pipeline } from '../ir/pipeline.js';
import { foldBatchnorm } from './fold-batchnorm.js';

export function irPasses(p: Pipeline): Pipeline {
  if (!p.target.optimizations['fold-batchnorm']) return p;
  return { ...p, model: { ...p.model, layers: foldBatchnorm(p.model.layers) } };
}
