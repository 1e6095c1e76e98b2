// What the driver builds from a checked pipeline (compile.ts buildPipeline): the program, its
// helpers and the files `build` writes. The backend runs it; the commands write or report it.
import type { Pipeline } from '../ir/pipeline.js';
import type { OptimizationSet } from '../target/optimizations.js';
import type { InputPlan } from '../passes/plan-inputs.js';
import type { EmitStyle } from './mpc-program.js';
import type { HelperName } from './runtime/helpers.js';

export interface BuildArtifacts {
  pipeline: Pipeline;
  inputs: InputPlan;
  program: string;
  helpers: HelperName[];
  mlPatch: string;
  style: EmitStyle;
  optimizations: OptimizationSet;
  /** The source layer of each MP-SPDZ layer object, in order (timer 100 + i). */
  layerNames: string[];
  /** File name -> content, as `build` writes them. */
  files: Record<string, string>;
}
