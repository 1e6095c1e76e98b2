// Text reports of simulations: per-frame outputs, the aggregate and the label from the float
// reference and the fixed-point emulation, their largest difference, and the range table.
import { inTargetStatement, type Pipeline } from '../ir/pipeline.js';
import { formatBoundSuggestions } from './declared-bounds.js';
import { integerRow, narrowerPrecision, rangeRow, suggestPrecision, type LayerRange, type NarrowerPrecision, type PrecisionSuggestion } from './fixed-point.js';
import type { SimulateResult } from './simulate.js';
import { FEW_UNITS, LOST_BITS, type SignalCheck, type SignalPrecision, type SignalReport } from './signal.js';
import type { RingFitTarget } from '../ir/ring-fit.js';

const num = (x: number, width = 9) => {
  const s = Math.abs(x) >= 1e5 || (x !== 0 && Math.abs(x) < 1e-4) ? x.toExponential(2) : x.toFixed(4);
  return s.padStart(width);
};

export function className(i: number, names?: string[]): string {
  return names ? `${i} (${names[i]})` : String(i);
}

export function formatRanges(
  layers: LayerRange[],
  target: { f: number; k: number; declared?: boolean },
  suggestion?: PrecisionSuggestion,
  narrower?: NarrowerPrecision,
  range?: [number, number],
  bounds?: string,
): string {
  const limit = 2 ** (target.k - target.f - 1);
  const out: string[] = [];
  out.push(`range analysis: sfix with f=${target.f}, k=${target.k} holds magnitudes below ${limit} (2^${target.k - target.f - 1})`);
  const w = Math.max(14, ...layers.map((l) => l.name.length)) + 2;
  const provenHeader = range ? `bound, any video in [${range[0]}, ${range[1]}]` : 'proven bound';
  out.push(`  ${'layer'.padEnd(w)}${'op'.padEnd(18)}${'max |value|'.padStart(12)}  ${'of limit'.padStart(9)}  ${provenHeader}`);
  for (const l of layers) {
    const ratio = l.ratio === 0 ? '0' : l.ratio >= 0.01 ? `${(l.ratio * 100).toFixed(1)}%` : l.ratio.toExponential(1);
    const proven = l.proven === undefined ? '-' : `${num(l.proven, 0).trim()}${l.proven >= l.limit ? ' (beyond the limit)' : ''}`;
    out.push(`  ${l.name.padEnd(w)}${l.op.padEnd(18)}${num(l.maxAbs, 12)}  ${ratio.padStart(9)}  ${proven}${l.warning ? '  <-- ' + (l.ratio >= 1 ? 'OVERFLOW' : 'near overflow') : ''}`);
  }
  for (const l of layers) if (l.warning) out.push(`warning: ${l.name}: ${l.warning}`);
  if (suggestion) out.push(`suggestion: ${inTargetStatement(target, suggestion.statement)} (${suggestion.reason})`);
  else out.push('no layer comes within a factor of 4 of overflow');
  if (narrower) out.push(`cheaper: ${inTargetStatement(target, narrower.statement)} (${narrower.reason})`);
  if (bounds) out.push(bounds);
  return out.join('\n');
}

export function formatSimulation(r: SimulateResult, p: Pipeline, opts: { source: string; names?: string[]; notes?: string[] }): string {
  const out: string[] = [];
  const t = p.target;
  const fx = r.fixed;
  const C = p.classes;
  out.push(`simulate ${p.name}: ${opts.source}; frames ${fx.frames.join(', ')} (${fx.frames.length} of ${p.video.frames})`);
  out.push(
    `fixed point: f=${t.f}, k=${t.k}, ring ${t.ringBits}, ${fx.precision.rounding} truncation${fx.precision.rounding === 'probabilistic' ? ` (seed ${fx.precision.seed})` : ''}` +
      (r.float ? `; float reference: TensorFlow.js ${r.float.backend}` : ''),
  );
  if (t.truncation === 'nearest' && fx.precision.rounding !== 'nearest') {
    out.push(`note: the pipeline rounds to nearest ('trunc nearest'); this simulation used ${fx.precision.rounding} rounding`);
  }
  for (const n of opts.notes ?? []) out.push(`note: ${n}`);
  out.push('');
  const header = Array.from({ length: C }, (_, j) => (opts.names ? opts.names[j]! : `class ${j}`).slice(0, 9).padStart(9)).join(' ');
  out.push(`per-frame output (${p.frameOutput})`);
  out.push(`  ${'frame'.padEnd(7)}${''.padEnd(7)}${header}`);
  fx.frames.forEach((frame, i) => {
    if (r.float) out.push(`  ${String(frame).padEnd(7)}${'float'.padEnd(7)}${r.float.perFrame[i]!.map((x) => num(x)).join(' ')}`);
    out.push(`  ${(r.float ? '' : String(frame)).padEnd(7)}${'fixed'.padEnd(7)}${fx.perFrame[i]!.map((x) => num(x)).join(' ')}`);
  });
  out.push(`aggregate (${p.aggregation.kind})`);
  if (r.float) out.push(`  ${''.padEnd(7)}${'float'.padEnd(7)}${r.float.aggregate.map((x) => num(x)).join(' ')}`);
  out.push(`  ${''.padEnd(7)}${'fixed'.padEnd(7)}${fx.aggregate.map((x) => num(x)).join(' ')}`);
  out.push('');
  if (r.float) {
    out.push(`label: float ${className(r.float.label, opts.names)}, fixed ${className(fx.label, opts.names)} (${r.labelsAgree ? 'agree' : 'DIFFER'})`);
    out.push(`largest difference float vs fixed: ${r.maxDifference.toExponential(3)}`);
  } else out.push(`label: fixed ${className(fx.label, opts.names)}`);
  out.push('');
  out.push(formatRanges(r.layers, t, r.suggestion, r.fixed.narrower, p.video.range, formatBoundSuggestions(r.bounds, p)));
  if (fx.signal) out.push('', formatSignal(fx.signal, t, opts.names));
  return out.join('\n');
}

/** The signal analysis: significant bits kept per layer, and where the signal is lost an error naming the layer and a checked precision. */
export function formatSignal(s: SignalReport & { suggestion?: SignalPrecision }, target: { f: number; k: number; declared?: boolean }, names?: string[]): string {
  const out: string[] = [];
  const f = target.f;
  out.push(`signal: what the fixed-point values keep of the float64 values (bits: -log2 of the relative error; scale: log2 of the typical value in units of 2^-${f})`);
  const w = Math.max(14, ...s.layers.map((l) => l.name.length)) + 2;
  out.push(`  ${'layer'.padEnd(w)}${'op'.padEnd(18)}${'bits'.padStart(6)}${'scale'.padStart(8)}  ${`within ${FEW_UNITS} units`.padStart(15)}`);
  for (const l of s.layers) {
    const bits = l.bits === undefined ? '-' : l.bits.toFixed(1);
    const scale = l.scaleBits === undefined ? '-' : l.scaleBits.toFixed(1);
    const mark = s.lost?.layer === l.name ? '  <-- SIGNAL LOST' : '';
    out.push(`  ${l.name.padEnd(w)}${l.op.padEnd(18)}${bits.padStart(6)}${scale.padStart(8)}  ${`${(l.collapsed * 100).toFixed(0)}%`.padStart(15)}${mark}`);
  }
  if (!s.lost) {
    out.push(`every layer keeps at least ${s.worstBits.toFixed(1)} significant bits (the signal is lost below ${LOST_BITS})`);
    return out.join('\n');
  }
  const row = s.layers.find((l) => l.name === s.lost!.layer)!;
  out.push(
    `error: the signal is lost at '${row.name}' (${row.op}): its fixed-point values keep ${row.bits!.toFixed(1)} significant bits of the float ones ` +
      `(typical value 2^${row.scaleBits!.toFixed(1)} units of 2^-${f}, ${(row.collapsed * 100).toFixed(0)}% of the nonzero values within ${FEW_UNITS} units); ` +
      `from there on the secure program computes on rounding noise, and its label means nothing`,
  );
  // values under one unit of 2^-f in float too: no rounding lost them, the weights shrink them
  const least = s.layers.reduce((a, b) => ((b.scaleBits ?? Infinity) < (a.scaleBits ?? Infinity) ? b : a), s.layers[0]!);
  if (least.scaleBits !== undefined && least.scaleBits < 0) {
    out.push(
      `note: the float values themselves shrink to 2^${least.scaleBits.toFixed(1)} units of 2^-${f} ('${least.name}'): the weights make the activations vanish ` +
        '(trained weights rarely do; random ones can), and keeping them takes that many more fractional bits',
    );
  }
  const g = s.suggestion;
  if (g) out.push(`suggestion: ${inTargetStatement(target, g.statement)} (${g.reason}): ${checkText(g.check, names)}`);
  return out.join('\n');
}

export function checkText(c: SignalCheck | undefined, names?: string[]): string {
  if (!c) return 'not re-simulated';
  if (!c.simulated) return c.note ?? 'not re-simulated';
  const label = `label ${className(c.label!, names)}${c.labelsAgree === undefined ? '' : c.labelsAgree ? ' (= float)' : ' (float differs)'}`;
  const tries = c.attempts > 1 ? ` (after ${c.attempts} simulations)` : '';
  return c.kept
    ? `re-simulated${tries}: every layer keeps at least ${c.worstBits!.toFixed(1)} significant bits, ${label}`
    : `re-simulated${tries}: a layer still keeps only ${c.worstBits!.toFixed(1)} significant bits, ${label}; more fractional bits are needed`;
}

export interface BatchEntry {
  file: string;
  result?: SimulateResult;
  truth?: { index?: number; text?: string };
  error?: string;
  framesWithFace?: number;
  framesDecoded?: number;
}

export interface BatchSummary {
  videos: number;
  simulated: number;
  failed: number;
  agree: number;
  labelled: number;
  floatCorrect: number;
  fixedCorrect: number;
  floatAccuracy?: number;
  fixedAccuracy?: number;
  maxDifference: number;
  /** Videos whose fixed-point values lose the signal in some layer (signal.ts). */
  signalLost: number;
  layers: LayerRange[];
  suggestion?: PrecisionSuggestion;
  narrower?: NarrowerPrecision;
}

/** Per-layer maxima over several simulations (the range table of a batch). */
export function mergeRanges(
  results: SimulateResult[],
  target: RingFitTarget,
  range: [number, number],
): { layers: LayerRange[]; suggestion?: PrecisionSuggestion; narrower?: NarrowerPrecision } {
  if (results.length === 0) return { layers: [] };
  // the proven bounds depend on the weights and the declared range only: the same for every
  // video; each row keeps its own limit (sfix's, or the softmax sum's integer's)
  const layers = results[0]!.layers.map((row, i) => {
    const most = Math.max(...results.map((r) => r.layers[i]!.maxAbs));
    return { ...(row.bits === undefined ? rangeRow(row.name, row.op, most, row.limit) : integerRow(row.name, row.op, most, row.bits, target.f)), proven: row.proven };
  });
  const suggestion = suggestPrecision(layers, target);
  return { layers, suggestion, narrower: suggestion ? undefined : narrowerPrecision(layers, target, range) };
}

export function summarise(entries: BatchEntry[], target: RingFitTarget, range: [number, number]): BatchSummary {
  const done = entries.filter((e) => e.result);
  const results = done.map((e) => e.result!);
  const labelled = done.filter((e) => e.truth?.index !== undefined);
  const floatCorrect = labelled.filter((e) => e.result!.float?.label === e.truth!.index).length;
  const fixedCorrect = labelled.filter((e) => e.result!.fixed.label === e.truth!.index).length;
  return {
    videos: entries.length,
    simulated: done.length,
    failed: entries.length - done.length,
    agree: done.filter((e) => e.result!.labelsAgree).length,
    labelled: labelled.length,
    floatCorrect,
    fixedCorrect,
    floatAccuracy: labelled.length ? floatCorrect / labelled.length : undefined,
    fixedAccuracy: labelled.length ? fixedCorrect / labelled.length : undefined,
    maxDifference: results.reduce((m, r) => Math.max(m, r.maxDifference), 0),
    signalLost: results.filter((r) => r.fixed.signal?.lost).length,
    ...mergeRanges(results, target, range),
  };
}

export function formatBatch(entries: BatchEntry[], s: BatchSummary, p: Pipeline, opts: { folder: string; names?: string[]; labels?: string }): string {
  const out: string[] = [];
  const t = p.target;
  out.push(`simulate ${p.name} on ${s.videos} video${s.videos === 1 ? '' : 's'} in ${opts.folder}: fixed point f=${t.f}, k=${t.k}, ring ${t.ringBits}${opts.labels ? `; ${opts.labels}` : ''}`);
  out.push('');
  const name = (e: BatchEntry) => e.file.split('/').pop()!;
  const w = Math.max(10, ...entries.map((e) => name(e).length)) + 2;
  const cls = (i: number | undefined) => (i === undefined ? '-' : opts.names ? opts.names[i]! : String(i));
  const cw = Math.max(6, ...(opts.names ?? []).map((n) => n.length)) + 2;
  out.push(`${'video'.padEnd(w)}${'faces'.padEnd(9)}${'float'.padEnd(cw)}${'fixed'.padEnd(cw)}${'agree'.padEnd(7)}${'truth'.padEnd(cw)}max diff`);
  for (const e of entries) {
    if (!e.result) {
      out.push(`${name(e).padEnd(w)}error: ${e.error}`);
      continue;
    }
    const faces = e.framesDecoded !== undefined ? `${e.framesWithFace}/${e.framesDecoded}` : '-';
    const truth = e.truth?.index !== undefined ? cls(e.truth.index) : '-';
    out.push(
      `${name(e).padEnd(w)}${faces.padEnd(9)}${cls(e.result.float?.label).padEnd(cw)}${cls(e.result.fixed.label).padEnd(cw)}${(e.result.labelsAgree ? 'yes' : 'NO').padEnd(7)}${truth.padEnd(cw)}${e.result.maxDifference.toExponential(2)}`,
    );
  }
  out.push('');
  out.push(`float and fixed-point labels agree on ${s.agree} of ${s.simulated} simulated videos; largest difference ${s.maxDifference.toExponential(3)}`);
  if (s.failed) out.push(`${s.failed} video${s.failed === 1 ? '' : 's'} could not be simulated (see above)`);
  const lost = entries.filter((e) => e.result?.fixed.signal?.lost);
  if (lost.length) {
    const first = lost[0]!.result!.fixed.signal!.lost!;
    out.push(
      `error: the fixed-point values lose the signal on ${lost.length} of ${s.simulated} videos (first ${name(lost[0]!)}: at '${first.layer}', ${first.bits.toFixed(1)} significant bits); ` +
        'simulate that video alone for the per-layer table and a precision that keeps the signal',
    );
  }
  if (s.labelled) {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    out.push(`accuracy on ${s.labelled} labelled video${s.labelled === 1 ? '' : 's'}: float ${s.floatCorrect}/${s.labelled} (${pct(s.floatAccuracy!)}), fixed ${s.fixedCorrect}/${s.labelled} (${pct(s.fixedAccuracy!)})`);
  } else if (opts.labels) out.push(`no video has a label among the classes: no accuracy${opts.names ? '' : ' (name the classes with --classes to read label names)'}`);
  out.push('');
  // the proven bounds depend on the weights and the declared range only: the same for every video
  const bounds = entries.find((e) => e.result)?.result!.bounds;
  if (s.layers.length) out.push(formatRanges(s.layers, t, s.suggestion, s.narrower, p.video.range, bounds && formatBoundSuggestions(bounds, p)));
  return out.join('\n');
}
