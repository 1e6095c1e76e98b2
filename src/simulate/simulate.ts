// Clear-text simulation of a pipeline on real inputs: the float32 reference (TensorFlow.js, what
// the pipeline means) next to the fixed-point emulation of the generated MP-SPDZ program (what
// the secure run computes), their largest difference, and the per-layer range analysis.
import type { Pipeline } from '../ir/pipeline.js';
import type { InputPlan } from '../passes/plan-inputs.js';
import { suggestBounds, type BoundSuggestion } from './declared-bounds.js';
import { evaluateReference, type ReferenceResult } from '../reference/evaluate.js';
import { MAX_EMULATED_K, simulateFixed, type FixedOptions, type FixedResult, type LayerRange, type PrecisionSuggestion } from './fixed-point.js';
import { signalPrecision, type SignalCheck, type SignalPrecision } from './signal.js';

export type { FixedOptions, FixedResult, LayerRange, PrecisionSuggestion, Rounding } from './fixed-point.js';
export type { SignalCheck, SignalPrecision, SignalReport, SignalRow } from './signal.js';

export interface SimulateOptions extends FixedOptions {
  /** Skip the float reference (the fixed-point emulation and range analysis only). */
  fixedOnly?: boolean;
}

export interface SimulateResult {
  pipeline: string;
  /** The float32 reference evaluator's result (undefined with fixedOnly). */
  float?: ReferenceResult;
  fixed: FixedResult;
  /** The largest |float - fixed| over every per-frame output and the aggregate (NaN with fixedOnly). */
  maxDifference: number;
  /** Whether the two labels agree (true with fixedOnly). */
  labelsAgree: boolean;
  layers: LayerRange[];
  suggestion?: PrecisionSuggestion;
  /** Bounds worth declaring for these weights (proven for any video in range): narrower comparisons. */
  bounds: BoundSuggestion[];
  seconds: { float: number; fixed: number };
}

/** Any party's values as float32 (what the reference evaluator reads). */
function asFloat32(values: Map<number, ArrayLike<number>>): Map<number, Float32Array> {
  const out = new Map<number, Float32Array>();
  for (const [party, v] of values) out.set(party, v instanceof Float32Array ? v : Float32Array.from(v));
  return out;
}

/** The largest element-wise |a - b| over lists of equal-length vectors. */
export function largestDifference(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((x, j) => (m = Math.max(m, Math.abs(x - b[i]![j]!)))));
  return m;
}

/**
 * Runs the float reference and the fixed-point emulation on the same inputs. `values` are each
 * party's whole input file, in the order of inputs.json; float64 values give the emulation the
 * exact numbers MP-SPDZ reads (it parses doubles), float32 are fine too.
 */
export async function simulate(pipeline: Pipeline, plan: InputPlan, values: Map<number, ArrayLike<number>>, opts: SimulateOptions = {}): Promise<SimulateResult> {
  let started = performance.now();
  const fixed = simulateFixed(pipeline, plan, values, opts);
  const fixedSeconds = (performance.now() - started) / 1000;
  const float = opts.fixedOnly ? undefined : await evaluateReference(pipeline, plan, asFloat32(values));
  const floatSeconds = (performance.now() - started) / 1000 - fixedSeconds;
  if (fixed.signal?.suggestion) fixed.signal.suggestion = checkSignalPrecision(pipeline, plan, values, opts, fixed, float?.label);
  const bounds = suggestBounds(pipeline, new Map(fixed.layers.filter((l) => l.proven !== undefined).map((l) => [l.name, l.proven!])));
  if (!float) {
    return { pipeline: pipeline.name, fixed, maxDifference: NaN, labelsAgree: true, layers: fixed.layers, suggestion: fixed.suggestion, bounds, seconds: { float: 0, fixed: fixedSeconds } };
  }
  const maxDifference = Math.max(largestDifference(float.perFrame, fixed.perFrame), largestDifference([float.aggregate], [fixed.aggregate]));
  return {
    pipeline: pipeline.name,
    float,
    fixed,
    maxDifference,
    labelsAgree: float.label === fixed.label,
    layers: fixed.layers,
    suggestion: fixed.suggestion,
    bounds,
    seconds: { float: floatSeconds, fixed: fixedSeconds },
  };
}

/**
 * Re-simulates with the precision the signal analysis suggests; where a layer still loses the
 * signal, adds the bits that one lacks and tries again (3 simulations at most). The suggestion
 * returned is the last one tried, with what its simulation showed.
 */
function checkSignalPrecision(
  p: Pipeline,
  plan: InputPlan,
  values: Map<number, ArrayLike<number>>,
  opts: SimulateOptions,
  fixed: FixedResult,
  floatLabel: number | undefined,
): SignalPrecision & { check: SignalCheck } {
  const proven = fixed.layers.filter((l) => l.bits === undefined).map((l) => l.proven);
  let s = fixed.signal!.suggestion!;
  for (let attempts = 1; ; attempts++) {
    if (s.k > MAX_EMULATED_K) {
      return { ...s, check: { simulated: false, attempts: attempts - 1, note: `not re-simulated: the emulation holds k <= ${MAX_EMULATED_K} exactly` } };
    }
    const again = simulateFixed({ ...p, target: { ...p.target, f: s.f, k: s.k, ringBits: s.ringBits } }, plan, values, opts);
    const sig = again.signal!;
    const check: SignalCheck = {
      simulated: true,
      kept: !sig.lost,
      worstBits: sig.worstBits,
      label: again.label,
      ...(floatLabel !== undefined ? { labelsAgree: again.label === floatLabel } : {}),
      attempts,
    };
    if (!sig.lost || attempts === 3) return { ...s, check };
    s = signalPrecision(p, s.f - p.target.f + Math.max(1, sig.extraBits), proven);
  }
}
