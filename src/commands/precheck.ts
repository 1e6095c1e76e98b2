// `run --local` holds every party's input, so before any party starts the run simulates the
// pipeline in the clear on them (the same simulation as `simulate`: float reference and the
// fixed-point emulation of the program). A precision that overflows a layer, loses the signal or
// changes the label is then refused in seconds, instead of revealing a wrong label after minutes
// of MPC (issue 19). `--ignore-precheck` runs anyway, with the finding as a warning.
import { UserError } from '../diagnostics.js';
import { inTargetStatement, type Pipeline } from '../ir/pipeline.js';
import type { BuildArtifacts } from '../compile.js';
import { PROTOCOLS } from '../target/protocols.js';
import { readValues64 } from '../inputs/read-values.js';
import type { SimulateResult } from '../simulate/simulate.js';
import type { Precheck } from '../simulate/precheck-record.js';

export type { Precheck };

/** The seed of the emulation's coin flips: simulate's default, so `simulate` shows the same tables. */
const SEED = 1;

/** simulate's default: the rounding the pipeline's program uses. */
const rounding = (p: Pipeline) => (p.target.truncation === 'nearest' ? 'nearest' : 'probabilistic') as 'nearest' | 'probabilistic';

/** How the check is reported: its line and warnings, and whether a refusal is overridden. */
export interface PrecheckOptions {
  ignore?: boolean;
  onProgress?: (msg: string) => void;
  onWarning?: (msg: string) => void;
}

/**
 * Simulates the run's inputs in the clear; throws a UserError (exit 1) naming the layer and a
 * precision that fits when the secure run would not reveal the float label, unless `o.ignore`.
 */
export async function precheckRun(a: BuildArtifacts, files: Map<number, string>, o: PrecheckOptions): Promise<Precheck> {
  const check = await checkInTheClear(a, exactValues(a, files));
  if (!check.finding) {
    o.onProgress?.(`checked in the clear first: float and fixed-point label ${check.label}, every layer in range and keeping at least ${check.worstBits?.toFixed(1) ?? '52'} significant bits (${check.seconds.toFixed(1)} s)`);
    return check;
  }
  const f = check.finding;
  if (f.kind === 'near-tie') {
    o.onWarning?.(`the check in the clear found a near tie: ${f.message}`);
    return check;
  }
  if (!o.ignore) {
    throw new UserError({
      severity: 'error',
      message: `refused before any party started: the check in the clear found ${f.message}`,
      hints: [
        ...(f.precision ? [`suggestion: ${f.precision}`] : []),
        '`ppvc-dsl simulate` on the same inputs shows every layer\'s range and signal',
        '--ignore-precheck runs the parties anyway (the revealed label is then not to be trusted)',
      ],
    });
  }
  o.onWarning?.(`--ignore-precheck: running although the check in the clear found ${f.message}${f.precision ? `; suggestion: ${f.precision}` : ''}`);
  return { ...check, ignored: true };
}

/**
 * Simulates the parties' values (party -> values, as simulate takes them) in the clear and
 * returns what would make the secure run's label other than float's, without acting on it:
 * run --local refuses on it, the model owner's calibration (calibration.ts) reports it.
 */
export async function checkInTheClear(a: BuildArtifacts, values: Map<number, Float64Array>): Promise<Precheck> {
  const started = performance.now();
  const { simulate } = await import('../simulate/simulate.js');
  const r = await simulate(a.pipeline, a.inputs, values, { seed: SEED, rounding: rounding(a.pipeline) });
  const check = await judge(a.pipeline, a, values, r);
  check.seconds = (performance.now() - started) / 1000;
  return check;
}

/**
 * Each party's values as doubles, the numbers MP-SPDZ parses (simulate reads them so too);
 * emulate.x's one process reads every file, concatenated in party order (readInputs).
 */
function exactValues(a: BuildArtifacts, files: Map<number, string>): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  const single = PROTOCOLS[a.pipeline.target.protocol].processes === 1;
  for (const party of a.inputs.parties) {
    if (party.tensors.length === 0) continue;
    if (!single) {
      out.set(party.party, readValues64(files.get(party.party)!));
      continue;
    }
    const parts = [...files.entries()].sort(([x], [y]) => x - y).map(([, path]) => readValues64(path));
    const all = new Float64Array(parts.reduce((s, v) => s + v.length, 0));
    parts.reduce((o, v) => (all.set(v, o), o + v.length), 0);
    out.set(party.party, all);
  }
  return out;
}

/** The first thing that would make the secure run's label other than float's, in the order a user fixes them. */
async function judge(p: Pipeline, a: BuildArtifacts, values: Map<number, Float64Array>, r: SimulateResult): Promise<Precheck> {
  const float = r.float!;
  const [top, second] = [...float.aggregate].sort((x, y) => y - x);
  const margin = top! - (second ?? -Infinity);
  const { largestDifference } = await import('../simulate/simulate.js');
  const error = largestDifference([float.aggregate], [r.fixed.aggregate]);
  const base: Precheck = { label: r.fixed.label, floatLabel: float.label, worstBits: r.fixed.signal?.worstBits, margin, error, seconds: 0 };
  const at = (s: { statement: string; reason: string }) => `${inTargetStatement(p.target, s.statement)} (${s.reason})`;
  const over = r.layers.find((l) => l.ratio >= 1);
  if (over) {
    return { ...base, finding: { kind: 'overflow', layer: over.name, message: `an overflow at '${over.name}' (${over.op}): ${over.warning!.replace(/^overflow: /, '')}`, precision: r.suggestion && at(r.suggestion) } };
  }
  const lost = r.fixed.signal?.lost;
  if (lost) {
    const s = r.fixed.signal!.suggestion;
    const { checkText } = await import('../simulate/report.js');
    const message = `the signal lost at '${lost.layer}': its fixed-point values keep ${lost.bits.toFixed(1)} significant bits of the float ones (under 4: rounding noise)`;
    return { ...base, finding: { kind: 'signal-lost', layer: lost.layer, message, precision: s && `${at(s)}: ${checkText(s.check)}` } };
  }
  if (r.labelsAgree) return base;
  const differ = `float label ${float.label}, fixed-point label ${r.fixed.label}: float's top two classes differ by ${margin.toExponential(2)}`;
  // one class's rounding error as large as the gap: a coin flip of the emulation (and of the
  // secure run's own randomness) decides, and no precision makes the float label certain
  if (margin <= error) return { ...base, finding: { kind: 'near-tie', message: `${differ}, within the emulation's error ${error.toExponential(2)}: the secure run may reveal either` } };
  return { ...base, finding: { kind: 'label', message: `${differ}, more than the emulation's error ${error.toExponential(2)} on any class`, precision: await labelPrecision(p, a, values, margin, error, float.label) } };
}

/**
 * The fractional bits that shrink the emulation's error below half the margin (each bit halves
 * it), re-simulated on the same inputs to say whether the label then is float's.
 */
async function labelPrecision(p: Pipeline, a: BuildArtifacts, values: Map<number, Float64Array>, margin: number, error: number, floatLabel: number): Promise<string> {
  const { signalPrecision } = await import('../simulate/signal.js');
  const { simulateFixed } = await import('../simulate/fixed-point.js');
  const extra = Math.ceil(Math.log2((2 * error) / margin)) + 1;
  const s = signalPrecision(p, extra, []);
  const again = simulateFixed({ ...p, target: { ...p.target, f: s.f, k: s.k, ringBits: s.ringBits } }, a.inputs, values, { seed: SEED, rounding: rounding(p), signal: false });
  return `${inTargetStatement(p.target, s.statement)} (${s.reason}): re-simulated, label ${again.label} (${again.label === floatLabel ? '= float' : 'float differs'})`;
}
