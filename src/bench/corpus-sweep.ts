// The corpus sweep (issue 19): what a researcher who brings an architecture sees. For one model
// file: import it scaled to a few frames, write random weights at realistic scales and a random
// video, and `run --local` under MP-SPDZ (emulate by default, one process). The run's own check
// in the clear either passes (the row then compares the revealed label with float's) or refuses
// naming a precision; the sweep then runs once more at that precision, as the user would. Used
// by test/corpus-sweep.test.ts (CI) and scripts/corpus-sweep.mjs (the docs' table).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importModel, randomInputs, run, type Failure, type ProtocolName, type RunApiOptions } from '../api.js';

export interface SweepOptions {
  /** The MP-SPDZ tree (default: the setup-mp-spdz build, as run finds it). */
  mpSpdz?: string;
  protocol?: ProtocolName;
  /** Where the pipelines and build directories go. */
  workDir: string;
  /** Frames of the imported pipeline (N) and frames selected (n). */
  frames?: number;
  select?: number;
}

/** One model's row. `match`: the revealed label is float's; `near tie`: float's top two are within the emulation's error. */
export interface SweepRow {
  model: string;
  classes: number;
  input: number[];
  /** `precision F K` the run used: the pipeline's, or the one its refusal suggested. */
  precision: string;
  /** The first precision's refusal, when the sweep had to take the suggestion. */
  refused?: string;
  floatLabel?: number;
  label?: string;
  outcome: 'match' | 'near tie' | 'differs' | 'refused' | 'failed';
  /** Why a run failed or was refused without a precision that fits. */
  reason?: string;
  seconds: number;
}

const PRECISION = /precision (\d+) (\d+)/;
const RING = /ring (\d+)/;

/** Imports, draws inputs and runs one model; never throws for a model's own problems (they are the row's). */
export async function sweepModel(modelFile: string, o: SweepOptions): Promise<SweepRow> {
  const started = performance.now();
  const name = basename(modelFile).replace(/\.(json|h5|keras)$/, '');
  const imported = await importModel(modelFile, { frames: o.frames ?? 2, select: o.select ?? 1 });
  if (!imported.ok) throw new Error(`${name}: not importable: ${firstError(imported)}`);
  const { text, summary } = imported;
  mkdirSync(o.workDir, { recursive: true });
  const source = { path: join(o.workDir, `${name}.ppvc`), text };
  writeFileSync(source.path, text);
  const inputs = await randomInputs(source, { seed: 1, protocol: o.protocol });
  if (!inputs.ok) throw new Error(`${name}: random-weights failed: ${firstError(inputs)}`);
  const row = { model: name, classes: summary.outputShape.reduce((a, b) => a * b, 1), input: summary.inputShape };
  const options: RunApiOptions = { protocol: o.protocol, mpSpdz: o.mpSpdz, video: inputs.video, weights: inputs.weights, outDir: join(o.workDir, `${name}-out`), patchMpSpdz: true };
  const seconds = () => (performance.now() - started) / 1000;
  const first = await run(source, options);
  if (first.ok) return { ...row, ...outcomeOf(first.record.precheck, first.label), precision: precisionOf(text), seconds: seconds() };
  const refusal = first.errors[0]?.message ?? '';
  const suggested = first.errors.flatMap((e) => e.hints).find((h) => h.startsWith('suggestion: precision'));
  const m = suggested && PRECISION.exec(suggested);
  if (!refusal.startsWith('refused before any party started') || !m) return { ...row, precision: precisionOf(text), outcome: refusal.startsWith('refused') ? 'refused' : 'failed', reason: refusal, seconds: seconds() };
  const precision = { f: Number(m[1]), k: Number(m[2]) };
  const ring = RING.exec(suggested)?.[1];
  const again = await run(source, { ...options, precision, ring: ring ? Number(ring) : undefined });
  const chosen = `${ring ? `ring ${ring}  ` : ''}precision ${precision.f} ${precision.k}`;
  if (!again.ok) return { ...row, precision: chosen, refused: refusal, outcome: 'refused', reason: firstError(again), seconds: seconds() };
  return { ...row, ...outcomeOf(again.record.precheck, again.label), precision: chosen, refused: refusal, seconds: seconds() };
}

/** Whether the revealed label is float's (the check in the clear computed float's). */
function outcomeOf(check: { floatLabel: number; finding?: { kind: string } } | undefined, label: string | undefined): Pick<SweepRow, 'floatLabel' | 'label' | 'outcome'> {
  if (!check) throw new Error('run returned no check in the clear');
  const outcome = label === String(check.floatLabel) ? 'match' : check.finding?.kind === 'near-tie' ? 'near tie' : 'differs';
  return { floatLabel: check.floatLabel, label, outcome };
}

function precisionOf(text: string): string {
  return PRECISION.exec(text)?.[0] ?? 'precision 16 31';
}

function firstError(f: Failure): string {
  return f.errors[0]?.message ?? 'no message';
}

/** The docs' table row. */
export function sweepTableRow(r: SweepRow): string {
  const label = r.outcome === 'refused' || r.outcome === 'failed' ? `${r.outcome}: ${r.reason}` : `${r.outcome} (float ${r.floatLabel}, MPC ${r.label})`;
  const precision = r.refused ? `${r.precision} (suggested by the refusal)` : r.precision;
  return `| ${r.model} | ${r.input.join('×')} | ${r.classes} | ${precision} | ${label} | ${r.seconds.toFixed(0)} |`;
}
