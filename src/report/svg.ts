// The cost breakdown as one self-contained SVG (no scripts, no external fonts or images):
//   1. totals per run: time, data sent and rounds as bars, compile.py's estimate as a marker, and
//      how each run compares with the seed-style baseline of its protocol (÷N: N times less); a
//      panel whose values span more than LINEAR_RANGE times (rounds: seed vs optimized) is drawn
//      on a log scale, marked as such, so both runs' bars can be read;
//   2. per stage: each run's bar split into the program's stages (inputs, frame selection, CNN,
//      per-frame output, aggregation) and what lies outside them, adding up to party 0's total,
//      so the dominant stage shows at a glance (shares of each run's own total when the totals
//      span more than LINEAR_RANGE times);
//   3. per CNN layer: a table of the layers' figures, one column group per run, shaded by the
//      layer's share of the run's CNN (darkest: the layer that dominates that run).
// Runs of the same pipeline sit side by side, in protocol order, seed style before optimized.
import { type MetricKey, type PipelineReport, type Run, METRICS, OUTSIDE_NOTE, OUTSIDE_TITLE, formatValue, layerTotal, ratio, stagesTotal } from './model.js';

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const INK = '#1f2328';
const MUTED = '#57606a';
const GRID = '#d0d7de';
/** Okabe-Ito colours (distinguishable with colour-vision deficiencies), one per protocol. */
const PROTOCOL_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
/** Paul Tol's muted palette for the stages. */
const STAGE_COLOURS: Record<string, string> = {
  inputs: '#A6A6A6',
  'frame selection': '#DDCC77',
  CNN: '#332288',
  'per-frame output': '#44AA99',
  aggregation: '#CC6677',
};
const EXTRA_STAGE_COLOURS = ['#88CCEE', '#117733', '#999933', '#AA4499', '#882255'];
/** What lies outside every stage: pale, outlined, so it reads as a remainder rather than a stage. */
const OUTSIDE_COLOUR = '#F6F8FA';
const OUTSIDE_STROKE = 'stroke="#8C959F" stroke-width="0.75" stroke-dasharray="2 1.5"';
const METRIC_COLOURS: Record<MetricKey, string> = { seconds: '#0072B2', mb: '#009E73', rounds: '#D55E00' };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Approximate width of text in a sans-serif font (for layout only; generous). */
function textWidth(s: string, size: number): number {
  let w = 0;
  for (const ch of s) w += /[il.,:;'|!·]/.test(ch) ? 0.3 : /[mwMW÷×]/.test(ch) ? 0.85 : /[A-Z]/.test(ch) ? 0.66 : 0.57;
  return w * size;
}

function mix(hex: string, t: number): string {
  // t = 0: white, t = 1: the colour
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const m = c.map((v) => Math.round(255 + (v - 255) * Math.max(0, Math.min(1, t))));
  return `#${m.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

class Svg {
  parts: string[] = [];
  rect(x: number, y: number, w: number, h: number, fill: string, extra = ''): void {
    this.parts.push(`<rect x="${r1(x)}" y="${r1(y)}" width="${r1(Math.max(0, w))}" height="${r1(h)}" fill="${fill}"${extra ? ' ' + extra : ''}/>`);
  }
  line(x1: number, y1: number, x2: number, y2: number, stroke: string, width = 1, extra = ''): void {
    this.parts.push(`<line x1="${r1(x1)}" y1="${r1(y1)}" x2="${r1(x2)}" y2="${r1(y2)}" stroke="${stroke}" stroke-width="${width}"${extra ? ' ' + extra : ''}/>`);
  }
  text(x: number, y: number, s: string, o: { size?: number; weight?: 'bold' | 'normal'; anchor?: 'start' | 'middle' | 'end'; fill?: string; cls?: string; italic?: boolean } = {}): void {
    const attrs = [`x="${r1(x)}"`, `y="${r1(y)}"`, `font-size="${o.size ?? 12}"`];
    if (o.weight === 'bold') attrs.push('font-weight="bold"');
    if (o.italic) attrs.push('font-style="italic"');
    if (o.anchor && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`);
    if (o.fill && o.fill !== INK) attrs.push(`fill="${o.fill}"`);
    if (o.cls) attrs.push(`class="${o.cls}"`);
    this.parts.push(`<text ${attrs.join(' ')}>${esc(s)}</text>`);
  }
  diamond(cx: number, cy: number, r: number, fill: string): void {
    this.parts.push(`<path d="M${r1(cx)} ${r1(cy - r)}L${r1(cx + r)} ${r1(cy)}L${r1(cx)} ${r1(cy + r)}L${r1(cx - r)} ${r1(cy)}Z" fill="${fill}" stroke="#ffffff" stroke-width="1"/>`);
  }
  raw(s: string): void {
    this.parts.push(s);
  }
}

export interface SvgOptions {
  /** Shown in the footer: where the records came from. */
  source?: string;
  width?: number;
}

interface RunStyle {
  fill: string;
  /** Seed-style (baseline) bars are lighter and hatched. */
  pattern?: string;
}

/** Renders every pipeline's report, one below the other, as one SVG document. */
export function renderSvg(reports: PipelineReport[], opts: SvgOptions = {}): string {
  const M = 24;
  const maxRuns = Math.max(1, ...reports.map((r) => r.runs.length));
  const labelW = Math.min(300, Math.max(150, ...reports.flatMap((r) => r.runs.map((x) => textWidth(x.label, 12) + 34))));
  const layerLabelW = Math.min(260, Math.max(130, ...reports.flatMap((r) => r.layers.map((l) => textWidth(l, 11) + 16))));
  const W = Math.max(opts.width ?? 1120, Math.ceil(2 * M + layerLabelW + maxRuns * 3 * 58), Math.ceil(2 * M + labelW + 3 * 230 + 2 * 24));
  const svg = new Svg();
  const defs: string[] = [];
  let y = M;
  const protocols: string[] = [];
  for (const rep of reports) for (const r of rep.runs) if (!protocols.includes(r.protocol)) protocols.push(r.protocol);
  const styleOf = (run: Run): RunStyle => {
    const base = PROTOCOL_COLOURS[protocols.indexOf(run.protocol) % PROTOCOL_COLOURS.length]!;
    if (run.style !== 'seed') return { fill: base };
    const id = `hatch-${protocols.indexOf(run.protocol)}`;
    if (!defs.some((d) => d.includes(`id="${id}"`))) {
      defs.push(
        `<pattern id="${id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${mix(base, 0.45)}"/><line x1="0" y1="0" x2="0" y2="6" stroke="${base}" stroke-width="2"/></pattern>`,
      );
    }
    return { fill: `url(#${id})`, pattern: id };
  };

  for (const rep of reports) {
    y = renderPipeline(svg, rep, { x: M, y, width: W - 2 * M, labelW, layerLabelW, runStyle: styleOf });
    y += 28;
  }
  // footer
  svg.line(M, y - 14, W - M, y - 14, GRID);
  const foot = `Generated by ppvc-dsl report${opts.source ? ` from ${opts.source}` : ''}. Figures are MP-SPDZ's (party 0's timers: Time1-5 stages, Time100+ layers); ` +
    "estimates are compile.py's.";
  svg.text(M, y + 2, foot, { size: 11, fill: MUTED });
  y += 14;
  const H = Math.ceil(y + M / 2);
  const title = reports.map((r) => r.pipeline).join(', ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${esc(FONT)}" fill="${INK}" role="img" aria-labelledby="title desc">`,
    `<title id="title">Cost breakdown of ${esc(title)}: rounds, data sent and time per stage and per layer</title>`,
    `<desc id="desc">${esc(describe(reports))}</desc>`,
    `<defs>${defs.join('')}</defs>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    ...svg.parts,
    '</svg>',
    '',
  ].join('\n');
}

/** A text summary (for screen readers and as the SVG's desc). */
export function describe(reports: PipelineReport[]): string {
  const out: string[] = [];
  for (const rep of reports) {
    for (const run of rep.runs) {
      const cnn = [...run.stages.entries()].sort((a, b) => b[1].seconds - a[1].seconds)[0];
      const top = [...run.layers.entries()].sort((a, b) => b[1].seconds - a[1].seconds)[0];
      out.push(
        `${rep.pipeline} ${run.label}: ${formatValue(run.party0.seconds)} s, ${formatValue(run.globalMB)} MB, ${formatValue(run.party0.rounds, 'rounds')} rounds` +
          (cnn ? `; most time in ${cnn[0]}` : '') +
          (top ? `, layer ${top[0]} (${formatValue(top[1].seconds)} s)` : ''),
      );
    }
  }
  return out.join('. ') + '.';
}

interface Frame {
  x: number;
  y: number;
  width: number;
  labelW: number;
  layerLabelW: number;
  runStyle: (r: Run) => RunStyle;
}

function runLabel(svg: Svg, f: Frame, run: Run, y: number, h: number): void {
  svg.rect(f.x, y + h / 2 - 6, 12, 12, f.runStyle(run).fill, 'stroke="#ffffff"');
  svg.text(f.x + 18, y + h / 2 + 4, run.label, { size: 12 });
}

function renderPipeline(svg: Svg, rep: PipelineReport, f: Frame): number {
  let y = f.y;
  const { runs } = rep;
  const mp = runs[0]?.record.mpSpdz;
  const labels = [...new Set(runs.map((r) => r.label0 ?? '?'))];
  svg.text(f.x, y + 18, `${rep.pipeline}: where the cost goes`, { size: 20, weight: 'bold' });
  y += 38;
  svg.text(
    f.x,
    y,
    `${runs.length} run${runs.length === 1 ? '' : 's'} of ppvc-dsl run${mp ? ` (MP-SPDZ ${mp.version})` : ''}; revealed label: ${labels.join(' / ')}${labels.length === 1 && runs.length > 1 ? ' in every run' : ''}. ` +
      (runs.some((r) => r.style === 'seed') ? 'Hatched: the seed style (the baseline); solid: optimized.' : ''),
    { size: 12, fill: MUTED },
  );
  y += 14;
  for (const n of rep.notes) {
    y += 14;
    svg.text(f.x, y, `Note: ${n}`, { size: 11, fill: MUTED, italic: true });
  }
  y += 22;

  y = renderTotals(svg, rep, f, y);
  y = renderStages(svg, rep, f, y);
  if (rep.layers.length > 0) y = renderLayers(svg, rep, f, y);
  return y;
}

/** The geometry of the bar panels of sections 1 and 2 (three side by side). */
const PANEL = { gap: 24, rowH: 18, pitch: 26 };

const panelWidth = (f: Frame) => (f.width - f.labelW - 2 * PANEL.gap) / 3;

/** The largest value a linear panel shows beside its smallest non-zero one: beyond it, a bar is a few pixels. */
export const LINEAR_RANGE = 20;

/** Where a value falls on a panel's bars: 0 at the axis, 1 at the end of the longest bar. */
export interface Scale {
  log: boolean;
  at(v: number): number;
  /** The decades of a log scale (drawn as grid lines), else none. */
  ticks: number[];
}

/**
 * A linear scale while the panel's values are within LINEAR_RANGE of each other; otherwise a
 * logarithmic one, from 1 (or the decade below a smaller value) to the largest value, so that an
 * optimized run's 242 rounds show beside the seed style's 89,035 (a linear bar would be 0.3% long).
 */
export function barScale(values: (number | undefined)[]): Scale {
  const positive = values.filter((v): v is number => v !== undefined && v > 0);
  const max = Math.max(1e-9, ...positive);
  const min = Math.min(max, ...positive);
  if (max / min <= LINEAR_RANGE) return { log: false, at: (v) => Math.max(0, v) / max, ticks: [] };
  const lo = Math.min(1, 10 ** Math.floor(Math.log10(min)));
  const span = Math.log10(max / lo);
  const ticks: number[] = [];
  for (let t = lo; t <= max * (1 + 1e-9); t *= 10) ticks.push(t);
  return { log: true, at: (v) => (v <= lo ? 0 : Math.log10(v / lo) / span), ticks };
}

/** 1, 10, 100, 1k, 10k, 100k, 1M; 0.1, 0.01 below 1: the decades of a log axis. */
function tickLabel(t: number): string {
  if (t >= 1e6) return `${Math.round(t / 1e6)}M`;
  if (t >= 1e3) return `${Math.round(t / 1e3)}k`;
  return t >= 1 ? String(Math.round(t)) : String(Number(t.toPrecision(1)));
}

/** A log panel's decades: grid lines behind the bars, labelled under them. */
function drawTicks(svg: Svg, scale: Scale, px: number, barMax: number, top: number, bottom: number): void {
  for (const t of scale.ticks) {
    const x = px + scale.at(t) * barMax;
    svg.line(x, top - 4, x, bottom + 2, GRID, 1, 'stroke-dasharray="2 2"');
    svg.text(x, bottom + 13, tickLabel(t), { size: 9, anchor: 'middle', fill: MUTED });
  }
}

/** A bar with its exact figure as a tooltip (and for tests that measure the bars). */
function bar(svg: Svg, x: number, y: number, w: number, fill: string, tip: string, extra = ''): void {
  svg.raw(`<rect x="${r1(x)}" y="${r1(y)}" width="${r1(Math.max(0, w))}" height="${PANEL.rowH}" fill="${fill}"${extra ? ' ' + extra : ''}><title>${esc(tip)}</title></rect>`);
}

interface Total {
  title: string;
  key: MetricKey;
  value: (r: Run) => number | undefined;
  estimate?: (r: Run) => number | undefined;
}

const TOTALS: Total[] = [
  { title: 'time, party 0 (s)', key: 'seconds', value: (r) => r.party0.seconds },
  {
    title: 'data sent, all parties (MB)',
    key: 'mb',
    value: (r) => r.globalMB,
    estimate: (r) => (r.estimate.onlineMB === undefined ? undefined : r.estimate.onlineMB + (r.estimate.offlineMB ?? 0)),
  },
  { title: 'rounds, party 0', key: 'rounds', value: (r) => r.party0.rounds, estimate: (r) => r.estimate.vmRounds },
];

/** Section 1: each total as one bar per run, compile.py's estimate as a marker. */
function renderTotals(svg: Svg, rep: PipelineReport, f: Frame, y0: number): number {
  const { runs } = rep;
  let y = y0;
  svg.text(f.x, y, 'Totals', { size: 15, weight: 'bold' });
  const legendX = f.x + 70;
  svg.diamond(legendX, y - 5, 5, INK);
  svg.text(legendX + 9, y - 1, "compile.py's estimate", { size: 11, fill: MUTED });
  if (rep.baselineOf.size > 0) {
    svg.text(legendX + 9 + textWidth("compile.py's estimate", 11) + 18, y - 1, '÷N: N times less than the seed style under the same protocol (×N: more)', { size: 11, fill: MUTED });
  }
  y += 12;
  const top = y + 22;
  const bottom = top + (runs.length - 1) * PANEL.pitch + PANEL.rowH;
  let anyLog = false;
  TOTALS.forEach((t, i) => {
    const px = f.x + f.labelW + i * (panelWidth(f) + PANEL.gap);
    const scale = barScale(runs.flatMap((r) => [t.value(r), t.estimate?.(r)]));
    anyLog ||= scale.log;
    svg.text(px, y + 12, `${t.title}${scale.log ? ', log scale' : ''}`, { size: 12, weight: 'bold', fill: MUTED });
    const labelsW = Math.max(...runs.map((r) => textWidth(totalLabel(rep, r, t), 11))) + 10;
    const barMax = Math.max(40, panelWidth(f) - labelsW);
    drawTicks(svg, scale, px, barMax, top, bottom);
    svg.line(px, top - 4, px, bottom + 4, GRID);
    runs.forEach((r, j) => totalBar(svg, rep, f, t, r, { x: px, y: top + j * PANEL.pitch, barMax, scale }));
  });
  runs.forEach((r, j) => runLabel(svg, f, r, top + j * PANEL.pitch, PANEL.rowH));
  return bottom + (anyLog ? 14 : 0) + 30;
}

function totalBar(svg: Svg, rep: PipelineReport, f: Frame, t: Total, r: Run, at: { x: number; y: number; barMax: number; scale: Scale }): void {
  const v = t.value(r);
  const w = v === undefined ? 0 : at.scale.at(v) * at.barMax;
  bar(svg, at.x, at.y, w, f.runStyle(r).fill, `${r.label}: ${formatValue(v, t.key)} ${t.title}`);
  const est = t.estimate?.(r);
  const ex = est === undefined ? undefined : at.x + at.scale.at(est) * at.barMax;
  if (ex !== undefined) {
    svg.line(ex, at.y - 3, ex, at.y + PANEL.rowH + 3, INK, 1.5);
    svg.diamond(ex, at.y + PANEL.rowH / 2, 4.5, INK);
  }
  const lx = Math.max(at.x + w, ex !== undefined ? ex + 5 : 0) + 6;
  svg.text(lx, at.y + PANEL.rowH / 2 + 4, totalLabel(rep, r, t), { size: 11 });
}

/** The segments of a run's stage bar: the stages, then what lies outside them. */
function segments(rep: PipelineReport, r: Run, key: MetricKey): { name: string; value: number; colour: string }[] {
  const out = rep.stages.map((st, k) => ({ name: st, value: r.stages.get(st)?.[key] ?? 0, colour: stageColour(st, k) }));
  out.push({ name: OUTSIDE_TITLE, value: Math.max(0, r.outside[key] ?? 0), colour: OUTSIDE_COLOUR });
  return out;
}

/**
 * Section 2: each run's bar split into its stages and what lies outside them, adding up to party
 * 0's total. Runs whose totals differ more than LINEAR_RANGE times get a bar each of the same
 * length (the stages' shares; the total printed beside it): stacked segments cannot share a log
 * scale, and on a linear one the optimized run's bar would vanish beside the seed style's.
 */
function renderStages(svg: Svg, rep: PipelineReport, f: Frame, y0: number): number {
  const { runs } = rep;
  let y = stagesLegend(svg, rep, f, y0);
  const top = y + 22;
  const bottom = top + (runs.length - 1) * PANEL.pitch + PANEL.rowH;
  METRICS.forEach((m, i) => {
    const px = f.x + f.labelW + i * (panelWidth(f) + PANEL.gap);
    const totals = runs.map((r) => stagesTotal(r, m.key));
    const shares = barScale(totals).log;
    svg.text(px, y + 12, `${m.title}${m.unit ? ` (${m.unit})` : ''}${shares ? ", shares of each run's total" : ''}`, { size: 12, weight: 'bold', fill: MUTED });
    const labelsW = Math.max(...totals.map((s) => textWidth(formatValue(s, m.key), 11))) + 10;
    const barMax = Math.max(40, panelWidth(f) - labelsW);
    const max = Math.max(1e-9, ...totals);
    svg.line(px, top - 4, px, bottom + 4, GRID);
    runs.forEach((r, j) => {
      const length = ((shares ? max : totals[j]!) / max) * barMax;
      stageBar(svg, segments(rep, r, m.key), { x: px, y: top + j * PANEL.pitch, length, total: totals[j]!, key: m.key, unit: m.unit || m.title, run: r.label });
    });
  });
  runs.forEach((r, j) => runLabel(svg, f, r, top + j * PANEL.pitch, PANEL.rowH));
  y = bottom + 22;
  for (const line of wrapText(OUTSIDE_NOTE, f.width, 11)) {
    svg.text(f.x, y, line, { size: 11, fill: MUTED });
    y += 14;
  }
  return y + 14;
}

/** The section's title and its legend: a swatch per stage. Returns the y below. */
function stagesLegend(svg: Svg, rep: PipelineReport, f: Frame, y: number): number {
  svg.text(f.x, y, 'Per stage', { size: 15, weight: 'bold' });
  let lx = f.x + 86;
  const items = [...rep.stages.map((s, i) => ({ s, c: stageColour(s, i) })), { s: OUTSIDE_TITLE, c: OUTSIDE_COLOUR }];
  for (const { s, c } of items) {
    svg.rect(lx, y - 10, 12, 12, c, c === OUTSIDE_COLOUR ? OUTSIDE_STROKE : '');
    svg.text(lx + 16, y, s, { size: 11, fill: MUTED });
    lx += 16 + textWidth(s, 11) + 16;
  }
  svg.text(lx + 4, y, '(% of the run’s total; party 0)', { size: 11, fill: MUTED });
  return y + 12;
}

function stageBar(
  svg: Svg,
  segs: { name: string; value: number; colour: string }[],
  at: { x: number; y: number; length: number; total: number; key: MetricKey; unit: string; run: string },
): void {
  let x = at.x;
  for (const s of segs) {
    const w = at.total > 0 ? (s.value / at.total) * at.length : 0;
    if (w <= 0) continue;
    const stroke = s.colour === OUTSIDE_COLOUR ? OUTSIDE_STROKE : 'stroke="#ffffff" stroke-width="0.5"';
    bar(svg, x, at.y, w, s.colour, `${at.run}, ${s.name}: ${formatValue(s.value, at.key)} ${at.unit}`, stroke);
    const pct = `${Math.round((100 * s.value) / at.total)}%`;
    if (w >= textWidth(pct, 10) + 8) svg.text(x + w / 2, at.y + PANEL.rowH / 2 + 3.5, pct, { size: 10, anchor: 'middle', fill: luminance(s.colour) < 0.45 ? '#ffffff' : INK });
    x += w;
  }
  svg.text(at.x + at.length + 6, at.y + PANEL.rowH / 2 + 4, formatValue(at.total, at.key), { size: 11 });
}

/** Words into lines no wider than width (approximately, see textWidth). */
function wrapText(text: string, width: number, size: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && textWidth(`${lines[last]} ${word}`, size) <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

function totalLabel(rep: PipelineReport, r: Run, t: { key: MetricKey; value: (r: Run) => number | undefined }): string {
  const v = t.value(r);
  const b = rep.baselineOf.get(r);
  const q = b ? ratio(v, t.value(b)) : undefined;
  return `${formatValue(v, t.key)}${q ? `  ${q}` : ''}`;
}

function stageColour(stage: string, i: number): string {
  return STAGE_COLOURS[stage] ?? EXTRA_STAGE_COLOURS[i % EXTRA_STAGE_COLOURS.length]!;
}

function renderLayers(svg: Svg, rep: PipelineReport, f: Frame, y0: number): number {
  const { runs } = rep;
  let y = y0;
  svg.text(f.x, y, 'Per CNN layer', { size: 15, weight: 'bold' });
  svg.text(f.x + 120, y, "(party 0; shade: the layer's share of the run's CNN, darkest = the layer that dominates the run; bold: the largest, when one alone is)", { size: 11, fill: MUTED });
  y += 14;
  const groupW = Math.min((f.width - f.layerLabelW) / runs.length, 3 * 96);
  const subW = groupW / 3;
  const rowH = 19;
  // headers: run, then the three figures
  runs.forEach((r, i) => {
    const gx = f.x + f.layerLabelW + i * groupW;
    svg.rect(gx + 3, y + 2, groupW - 6, 5, f.runStyle(r).fill);
    const fitted = fitText(r.label, groupW - 8, 12);
    svg.text(gx + groupW / 2, y + 21, fitted, { size: 12, weight: 'bold', anchor: 'middle' });
    METRICS.forEach((m, k) => {
      svg.text(gx + k * subW + subW / 2, y + 37, m.unit || m.title, { size: 11, anchor: 'middle', fill: MUTED });
    });
  });
  y += 44;
  const shares = new Map<string, number>();
  const maxShare = new Map<string, number>();
  const uniqueTop = new Map<string, boolean>();
  for (const r of runs) {
    for (const m of METRICS) {
      const total = layerTotal(r, m.key);
      for (const l of rep.layers) {
        const v = r.layers.get(l)?.[m.key];
        const s = v !== undefined && total > 0 ? v / total : 0;
        shares.set(`${r.label}|${m.key}|${l}`, s);
        maxShare.set(`${r.label}|${m.key}`, Math.max(maxShare.get(`${r.label}|${m.key}`) ?? 0, s));
      }
      const ms = maxShare.get(`${r.label}|${m.key}`) ?? 0;
      const tops = rep.layers.filter((l) => shares.get(`${r.label}|${m.key}|${l}`) === ms).length;
      uniqueTop.set(`${r.label}|${m.key}`, ms > 0 && tops === 1);
    }
  }
  rep.layers.forEach((l, row) => {
    const ry = y + row * rowH;
    if (row % 2 === 1) svg.rect(f.x, ry, f.layerLabelW - 4, rowH, '#f6f8fa');
    svg.text(f.x + 6, ry + rowH / 2 + 4, l, { size: 11 });
    runs.forEach((r, i) => {
      const gx = f.x + f.layerLabelW + i * groupW;
      METRICS.forEach((m, k) => {
        const cx = gx + k * subW;
        const v = r.layers.get(l)?.[m.key];
        if (v === undefined) {
          svg.rect(cx + 1, ry + 0.5, subW - 2, rowH - 1, '#f6f8fa');
          svg.text(cx + subW / 2, ry + rowH / 2 + 4, '–', { size: 11, anchor: 'middle', fill: MUTED });
          return;
        }
        const s = shares.get(`${r.label}|${m.key}|${l}`)!;
        const ms = maxShare.get(`${r.label}|${m.key}`)!;
        const t = ms > 0 ? s / ms : 0;
        const fill = mix(METRIC_COLOURS[m.key], 0.06 + 0.94 * t);
        svg.rect(cx + 1, ry + 0.5, subW - 2, rowH - 1, fill);
        const isTop = uniqueTop.get(`${r.label}|${m.key}`) === true && s === ms;
        svg.text(cx + subW / 2, ry + rowH / 2 + 4, fitText(formatValue(v, m.key), subW - 4, 11), {
          size: 11,
          anchor: 'middle',
          weight: isTop ? 'bold' : 'normal',
          fill: luminance(fill) < 0.5 ? '#ffffff' : INK,
        });
      });
    });
  });
  y += rep.layers.length * rowH;
  // the layers' sum per run (what the CNN stage consists of)
  svg.line(f.x, y + 1, f.x + f.layerLabelW + runs.length * groupW, y + 1, INK, 1);
  svg.text(f.x + 6, y + rowH / 2 + 6, 'all layers', { size: 11, weight: 'bold' });
  runs.forEach((r, i) => {
    const gx = f.x + f.layerLabelW + i * groupW;
    METRICS.forEach((m, k) => {
      svg.text(gx + k * subW + subW / 2, y + rowH / 2 + 6, fitText(formatValue(layerTotal(r, m.key), m.key), subW - 4, 11), { size: 11, anchor: 'middle', weight: 'bold' });
    });
  });
  // group separators
  runs.forEach((_, i) => {
    if (i === 0) return;
    const gx = f.x + f.layerLabelW + i * groupW;
    svg.line(gx, y0 + 14, gx, y + rowH + 4, '#ffffff', 3);
  });
  return y + rowH + 14;
}

function fitText(s: string, width: number, size: number): string {
  if (textWidth(s, size) <= width) return s;
  let t = s;
  while (t.length > 1 && textWidth(t + '…', size) > width) t = t.slice(0, -1);
  return t + '…';
}
