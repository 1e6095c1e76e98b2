// Result records (JSON lines of `ppvc-dsl run --results FILE`) -> a cost breakdown per pipeline:
// one column per run (protocol x program style), totals with compile.py's estimates beside the
// measurements, the stages of the program (timers 1-5) and the CNN's layers (timers 100+).
// Pure: the terminal table (table.ts), the SVG chart (svg.ts) and the HTML page (html.ts) all
// render this model.
import { UserError } from '../diagnostics.js';
import type { ResultRecord } from '../backend/run-pipeline.js';
import { LAYER_TIMER_BASE, STAGE_TIMERS } from '../emit/mpc-program.js';
import { PROTOCOL_NAMES } from '../target/protocols.js';

export interface Metrics {
  seconds: number;
  mb: number;
  rounds: number;
}

export type MetricKey = keyof Metrics;

export const METRICS: { key: MetricKey; title: string; unit: string }[] = [
  { key: 'seconds', title: 'time', unit: 's' },
  { key: 'mb', title: 'data sent', unit: 'MB' },
  { key: 'rounds', title: 'rounds', unit: '' },
];

export interface Run {
  /** e.g. "replicated-ring · seed". */
  label: string;
  protocol: string;
  /** The program style: recorded, inferred (see styleOf) or unknown. */
  style?: string;
  styleInferred: boolean;
  date: string;
  label0?: string;
  record: ResultRecord;
  /** Party 0's figures (the timers are party 0's too). */
  party0: Partial<Metrics>;
  wallSeconds: number;
  /** Data sent by all parties together (MB). */
  globalMB?: number;
  /** The most rounds any party needed. */
  maxRounds?: number;
  estimate: { vmRounds?: number; onlineMB?: number; offlineMB?: number };
  stages: Map<string, Metrics>;
  /**
   * Party 0's total minus the sum of its stage timers, per figure (see outsideStages): what
   * MP-SPDZ counts in its totals but in no stage timer. Undefined where the total is unknown.
   */
  outside: Partial<Metrics>;
  layers: Map<string, Metrics>;
}

export interface PipelineReport {
  pipeline: string;
  runs: Run[];
  /** Stage names in program order (timer number), as displayed. */
  stages: string[];
  /** Layer names in program order; rows whose every figure is 0 are left out. */
  layers: string[];
  /** For each run with a baseline (same protocol, seed style): the run it is compared with. */
  baselineOf: Map<Run, Run>;
  notes: string[];
}

/** The row / segment that completes the stages to party 0's total (see outsideStages). */
export const OUTSIDE_TITLE = 'outside the stages';

/** What the outside row is, under the table and the chart. */
export const OUTSIDE_NOTE =
  "Outside the stages: party 0's total minus its stage timers. MP-SPDZ's totals also count what runs after the last " +
  'timer: opening the output to its receiver and, under malicious protocols, the checks every party runs when the program ends.';

export const STAGE_TITLES: Record<string, string> = {
  inputs: 'inputs',
  selection: 'frame selection',
  cnn: 'CNN',
  frameOutput: 'per-frame output',
  aggregation: 'aggregation',
};

const num = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Reads JSON lines of result records; a malformed line is a user error naming its line. */
export function parseResultsJsonl(text: string, path: string): ResultRecord[] {
  const out: ResultRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new UserError(`${path}:${i + 1}: not a JSON line (${(e as Error).message})`);
    }
    const r = v as Partial<ResultRecord> | null;
    const missing = !r || typeof r !== 'object'
      ? 'an object'
      : typeof r.pipeline !== 'string'
        ? "'pipeline'"
        : typeof r.protocol !== 'string'
          ? "'protocol'"
          : !Array.isArray(r.timers)
            ? "'timers'"
            : !Array.isArray(r.parties)
              ? "'parties'"
              : undefined;
    if (missing) throw new UserError(`${path}:${i + 1}: not a result record of 'ppvc-dsl run --results' (no ${missing})`);
    for (const t of r!.timers!) {
      if (!t || !num(t.timer) || !num(t.seconds) || !num(t.mb) || !num(t.rounds)) {
        throw new UserError(`${path}:${i + 1}: a timer without numbers timer, seconds, mb, rounds`);
      }
    }
    out.push(r as ResultRecord);
  });
  if (out.length === 0) throw new UserError(`${path}: no result records (JSON lines of 'ppvc-dsl run --results FILE')`);
  return out;
}

/**
 * The program style of a record: its `style` field when the record has one; otherwise inferred
 * from the layer timers: the optimized style times a dense layer's ReLU separately
 * ("dense_1 (activation)"), the seed style does not, so among records of one pipeline of which
 * some have such timers, those without are the seed style.
 */
function styleOf(r: ResultRecord, pipelineHasActivationTimers: boolean): { style?: string; inferred: boolean } {
  const recorded = (r as ResultRecord & { style?: unknown }).style;
  if (typeof recorded === 'string') return { style: recorded, inferred: false };
  const activation = r.timers.some((t) => t.timer >= LAYER_TIMER_BASE && / \(activation\)$/.test(t.name));
  if (activation) return { style: 'optimized', inferred: true };
  if (pipelineHasActivationTimers) return { style: 'seed', inferred: true };
  return { inferred: true };
}

const STYLE_ORDER = ['seed', 'optimized'];

export function buildReports(records: ResultRecord[]): PipelineReport[] {
  const byPipeline = new Map<string, ResultRecord[]>();
  for (const r of records) byPipeline.set(r.pipeline, [...(byPipeline.get(r.pipeline) ?? []), r]);
  return [...byPipeline.entries()].map(([pipeline, recs]) => buildReport(pipeline, recs));
}

// Long: about 100 lines: the records of one pipeline grouped, then each table of the report in turn.
function buildReport(pipeline: string, recs: ResultRecord[]): PipelineReport {
  const notes: string[] = [];
  const anyActivation = recs.some((r) => r.timers.some((t) => t.timer >= LAYER_TIMER_BASE && / \(activation\)$/.test(t.name)));
  // the latest record of each distinct configuration (protocol, style, compile command and
  // compile.py's figures, which change when the program changes)
  const latest = new Map<string, { r: ResultRecord; style?: string; inferred: boolean; n: number }>();
  for (const r of recs) {
    const s = styleOf(r, anyActivation);
    const key = JSON.stringify([r.protocol, s.style, r.compile?.command, r.compile?.vmRounds, r.compile?.expectedOnlineMB]);
    const prev = latest.get(key);
    if (!prev || (r.date ?? '') >= (prev.r.date ?? '')) latest.set(key, { r, ...s, n: (prev?.n ?? 0) + 1 });
    else prev.n++;
  }
  const repeated = [...latest.values()].reduce((s, x) => s + x.n - 1, 0);
  if (repeated > 0) notes.push(`${repeated} earlier record${repeated === 1 ? '' : 's'} of the same configuration left out (the latest of each is shown)`);

  const protoRank = (p: string) => {
    const i = (PROTOCOL_NAMES as readonly string[]).indexOf(p);
    return i < 0 ? PROTOCOL_NAMES.length : i;
  };
  const styleRank = (s?: string) => (s === undefined ? STYLE_ORDER.length : STYLE_ORDER.indexOf(s) < 0 ? STYLE_ORDER.length : STYLE_ORDER.indexOf(s));
  const entries = [...latest.values()].sort(
    (a, b) => protoRank(a.r.protocol) - protoRank(b.r.protocol) || a.r.protocol.localeCompare(b.r.protocol) || styleRank(a.style) - styleRank(b.style) || (a.r.date ?? '').localeCompare(b.r.date ?? ''),
  );

  const runs: Run[] = entries.map(({ r, style, inferred }) => {
    const stages = new Map<string, Metrics>();
    const layers = new Map<string, Metrics>();
    for (const t of [...r.timers].sort((a, b) => a.timer - b.timer)) {
      const m = { seconds: t.seconds, mb: t.mb, rounds: t.rounds };
      if (t.timer >= LAYER_TIMER_BASE) layers.set(t.name, m);
      else stages.set(STAGE_TITLES[t.name] ?? t.name, m);
    }
    const p0 = r.parties.find((p) => p.party === 0) ?? r.parties[0];
    const dataSent = r.parties.map((p) => p.dataSentMB).filter(num);
    const rounds = r.parties.map((p) => p.rounds).filter(num);
    return {
      label: style ? `${r.protocol} · ${style}` : r.protocol,
      protocol: r.protocol,
      style,
      styleInferred: inferred,
      date: r.date ?? '',
      label0: r.label,
      record: r,
      party0: { seconds: p0?.seconds, mb: p0?.dataSentMB, rounds: p0?.rounds },
      wallSeconds: r.wallSeconds,
      globalMB: num(p0?.globalDataSentMB) ? p0!.globalDataSentMB : dataSent.length === r.parties.length && dataSent.length > 0 ? dataSent.reduce((s, x) => s + x, 0) : undefined,
      maxRounds: rounds.length > 0 ? Math.max(...rounds) : undefined,
      estimate: { vmRounds: r.compile?.vmRounds, onlineMB: r.compile?.expectedOnlineMB, offlineMB: r.compile?.expectedOfflineMB },
      stages,
      outside: {
        seconds: outsideStages(p0?.seconds, stages, 'seconds'),
        mb: outsideStages(p0?.dataSentMB, stages, 'mb'),
        rounds: outsideStages(p0?.rounds, stages, 'rounds'),
      },
      layers,
    };
  });
  // runs that would share a label: tell them apart by date
  const labels = new Map<string, number>();
  for (const run of runs) labels.set(run.label, (labels.get(run.label) ?? 0) + 1);
  for (const run of runs) if (labels.get(run.label)! > 1) run.label += ` (${run.date.slice(0, 16).replace('T', ' ')})`;

  if (runs.some((r) => r.styleInferred && r.style !== undefined)) {
    notes.push("program style inferred from the layer timers (the optimized style times a dense layer's ReLU separately); records with a 'style' field need no inference");
  }
  if (runs.some((r) => r.style === undefined)) notes.push('program style unknown for some runs (the records have no style field)');
  if (runs.some((r) => METRICS.some((m) => (r.outside[m.key] ?? 0) < 0))) {
    notes.push("a negative 'outside the stages' figure: the stage timers count more than MP-SPDZ's total (its total leaves out rounds it names 'transmission'; its timers do not)");
  }

  const stageOrder: string[] = [];
  for (const [name, timer] of Object.entries(STAGE_TIMERS).sort((a, b) => a[1] - b[1])) {
    const title = STAGE_TITLES[name] ?? name;
    if (runs.some((r) => r.stages.has(title)) && timer > 0) stageOrder.push(title);
  }
  for (const r of runs) for (const s of r.stages.keys()) if (!stageOrder.includes(s)) stageOrder.push(s);
  const layerOrder: string[] = [];
  for (const r of runs) {
    let at = 0;
    for (const l of r.layers.keys()) {
      const i = layerOrder.indexOf(l);
      if (i < 0) layerOrder.splice(at++, 0, l);
      else at = i + 1;
    }
  }
  const layers = layerOrder.filter((l) => runs.some((r) => {
    const m = r.layers.get(l);
    return m !== undefined && (m.seconds > 1e-4 || m.mb > 0 || m.rounds > 0);
  }));

  const baselineOf = new Map<Run, Run>();
  for (const r of runs) {
    if (r.style === 'seed') continue;
    const base = runs.find((b) => b.protocol === r.protocol && b.style === 'seed');
    if (base) baselineOf.set(r, base);
  }
  const labelsSeen = [...new Set(runs.map((r) => r.label0).filter((x) => x !== undefined))];
  if (labelsSeen.length > 1) notes.push(`the runs revealed different labels: ${labelsSeen.join(', ')} (different inputs?)`);
  return { pipeline, runs, stages: stageOrder, layers, baselineOf, notes };
}

/** `÷5.0` (fewer), `×1.3` (more) or `=`: how run compares with its baseline. */
export function ratio(value: number | undefined, baseline: number | undefined): string | undefined {
  if (value === undefined || baseline === undefined || !(value > 0) || !(baseline > 0)) return undefined;
  const q = baseline / value;
  if (Math.abs(q - 1) < 0.05) return '≈';
  return q > 1 ? `÷${formatFactor(q)}` : `×${formatFactor(1 / q)}`;
}

function formatFactor(q: number): string {
  return q >= 100 ? group(Math.round(q)) : q >= 10 ? q.toFixed(0) : q.toFixed(1);
}

/** 89035 -> "89,035" (no locale: deterministic output). */
export function group(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  return (n < 0 ? '-' : '') + s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A figure with as many decimals as its size deserves: 20.9, 4.17, 0.0346, 89,035. */
export function formatValue(x: number | undefined, key: MetricKey | 'plain' = 'plain'): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (key === 'rounds') return group(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1000) return group(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toFixed(4);
}

/**
 * Party 0's total of a figure minus the sum of its stage timers. MP-SPDZ counts in its totals
 * (`Time = `, `Data sent = … in ~N rounds`) everything from the program's start to its threads'
 * end, and in a timer only what runs between start_timer and stop_timer; the generated program
 * opens its output after the last stage timer, and malicious protocols check (MACs, hashes) when
 * the threads end, so both fall outside every stage. Printed figures have 6 significant digits:
 * a difference no larger than their rounding is 0, not a cost.
 */
export function outsideStages(total: number | undefined, stages: Map<string, Metrics>, key: MetricKey): number | undefined {
  if (!num(total)) return undefined;
  const parts = [...stages.values()].map((m) => m[key]);
  const diff = total - parts.reduce((s, x) => s + x, 0);
  if (key === 'rounds') return diff;
  const rounding = [total, ...parts].reduce((s, x) => s + halfLastDigit(x), 0);
  return Math.abs(diff) <= rounding ? 0 : diff;
}

/** Half a unit of the 6th significant digit: how far C++'s default output may be from x. */
function halfLastDigit(x: number): number {
  return x === 0 ? 0 : 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(x))) - 5);
}

/**
 * The figure the stage breakdown adds up to: party 0's total as MP-SPDZ printed it (the stages and
 * the outside row sum to it, up to that rounding), else the stages' sum.
 */
export function stagesTotal(run: Run, key: MetricKey): number {
  const total = run.party0[key];
  return num(total) ? total : [...run.stages.values()].reduce((s, m) => s + m[key], 0);
}

/** The sum of a metric over the layers: the CNN's part that the layer timers account for. */
export function layerTotal(run: Run, key: MetricKey): number {
  let s = 0;
  for (const m of run.layers.values()) s += m[key];
  return s;
}
