// `ppvc-dsl report`: result records -> per-stage and per-layer cost breakdown, as a terminal table,
// a self-contained SVG chart and an HTML page. The fixture test/fixtures/emotion-results.jsonl is
// four real records of examples/emotion.ppvc (MP-SPDZ 0.4.2, replicated-ring and rep4-ring, seed
// and optimized style; `ppvc-dsl run ... --results`); emotion-results-master.jsonl two more, with
// a recorded style (replicated-ring, optimized then seed, on a ring-64 build of MP-SPDZ's master).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT } from './helpers.js';
import { METRICS, buildReports, formatValue, outsideStages, parseResultsJsonl, ratio, stagesTotal, type Metrics, type Run } from '../src/report/model.js';
import { renderTable } from '../src/report/table.js';
import { barScale, renderSvg } from '../src/report/svg.js';
import { renderHtml } from '../src/report/html.js';
import type { ResultRecord } from '../src/backend/run-pipeline.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'emotion-results.jsonl');
const records = () => parseResultsJsonl(readFileSync(FIXTURE, 'utf8'), FIXTURE);
const MASTER = join(ROOT, 'test', 'fixtures', 'emotion-results-master.jsonl');
const masterRecords = () => parseResultsJsonl(readFileSync(MASTER, 'utf8'), MASTER);

/** The width of the bar whose tooltip is `tip` (svg.ts gives every bar its figure as a <title>). */
function barWidth(svg: string, tip: string): number {
  const titled = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)<\/title><\/rect>/g)];
  const hit = titled.find((m) => m[2] === tip.replace(/'/g, '&#39;'));
  if (!hit) throw new Error(`no bar titled ${tip}`);
  return Number(hit[1]);
}

/** A strict well-formedness check of XML (the test has no XML library): tags nest, attributes are quoted, entities are known. */
function expectWellFormedXml(xml: string): void {
  const stack: string[] = [];
  const re = /<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g;
  let roots = 0;
  for (const m of xml.matchAll(re)) {
    if (m[0].startsWith('<!--')) continue;
    if (m[2] === undefined) throw new Error(`not well-formed XML at ${m.index}: ${JSON.stringify(xml.slice(m.index!, m.index! + 60))}`);
    const attrs = [...m[3]!.matchAll(/([\w:.-]+)=/g)].map((a) => a[1]);
    if (new Set(attrs).size !== attrs.length) throw new Error(`duplicate attribute in ${m[0]}`);
    if (m[1]) {
      const open = stack.pop();
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}>`);
    } else if (!m[4]) {
      if (stack.length === 0) roots++;
      stack.push(m[2]!);
    } else if (stack.length === 0) roots++;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

describe('the model', () => {
  test('reads the fixture: one pipeline, four runs side by side, baseline first per protocol', () => {
    const [rep, ...more] = buildReports(records());
    expect(more).toEqual([]);
    expect(rep!.pipeline).toBe('emotion');
    expect(rep!.runs.map((r) => r.label)).toEqual(['replicated-ring · seed', 'replicated-ring · optimized', 'rep4-ring · seed', 'rep4-ring · optimized']);
    expect(rep!.runs.every((r) => r.styleInferred)).toBe(true);
    expect(rep!.stages).toEqual(['inputs', 'frame selection', 'CNN', 'per-frame output', 'aggregation']);
    expect(rep!.layers[0]).toBe('conv2d_1');
    expect(rep!.layers).toContain('dense_1 (activation)');
    expect(rep!.layers).not.toContain('input'); // all zero
    const [seed, opt] = rep!.runs;
    expect(rep!.baselineOf.get(opt!)).toBe(seed);
    expect(rep!.baselineOf.has(seed!)).toBe(false);
    expect(opt!.estimate.vmRounds).toBe(217);
    expect(opt!.globalMB).toBeCloseTo(192.978);
  });

  test('a recorded style is used as is; repeated configurations keep the latest record', () => {
    const rs = records();
    const a = { ...rs[0]!, style: 'optimized', date: '2026-01-01T00:00:00.000Z' } as ResultRecord;
    const b = { ...rs[0]!, style: 'optimized', date: '2026-02-01T00:00:00.000Z', wallSeconds: 1.5 } as ResultRecord;
    const [rep] = buildReports([a, b]);
    expect(rep!.runs).toHaveLength(1);
    expect(rep!.runs[0]!.wallSeconds).toBe(1.5);
    expect(rep!.runs[0]!.styleInferred).toBe(false);
    expect(rep!.notes.join('\n')).toContain('1 earlier record of the same configuration left out');
  });

  test('figures and ratios', () => {
    expect(formatValue(89035, 'rounds')).toBe('89,035');
    expect(formatValue(20.8889)).toBe('20.9');
    expect(formatValue(4.17437)).toBe('4.17');
    expect(formatValue(0.000251)).toBe('0.0003');
    expect(formatValue(undefined)).toBe('–');
    expect(ratio(4.17, 20.89)).toBe('÷5.0');
    expect(ratio(242, 89035)).toBe('÷368');
    expect(ratio(193, 194.2)).toBe('≈');
    expect(ratio(30, 10)).toBe('×3.0');
  });

  test('malformed input is a user error naming the line', () => {
    expect(() => parseResultsJsonl('{"pipeline":"p"}\n', 'r.jsonl')).toThrow("r.jsonl:1: not a result record of 'ppvc-dsl run --results' (no 'protocol')");
    expect(() => parseResultsJsonl('\n{oops\n', 'r.jsonl')).toThrow(/^r\.jsonl:2: not a JSON line/);
    expect(() => parseResultsJsonl('\n\n', 'r.jsonl')).toThrow('r.jsonl: no result records');
  });
});

describe('outside the stages', () => {
  const sumOfRows = (r: Run, key: keyof Metrics) => [...r.stages.values()].reduce((s, m) => s + m[key], 0) + r.outside[key]!;

  test("the stages and the outside row add up to party 0's totals (real records: 241 + 1 = 242 rounds)", () => {
    const runs = [...buildReports(records())[0]!.runs, ...buildReports(masterRecords())[0]!.runs];
    for (const r of runs) {
      expect(sumOfRows(r, 'rounds')).toBe(r.party0.rounds);
      // time and data: up to the 6 significant digits MP-SPDZ prints
      expect(Math.abs(sumOfRows(r, 'seconds') - r.party0.seconds!)).toBeLessThan(1e-5 * r.party0.seconds!);
      expect(Math.abs(sumOfRows(r, 'mb') - r.party0.mb!)).toBeLessThan(1e-5 * r.party0.mb!);
      for (const m of METRICS) expect(stagesTotal(r, m.key)).toBe(r.party0[m.key]);
    }
    // the output opened after timer 5 (replicated-ring: 1 round); rep4-ring also checks hashes at the end
    expect(runs.map((r) => `${r.label} ${r.outside.rounds}`)).toEqual([
      'replicated-ring · seed 1',
      'replicated-ring · optimized 1',
      'rep4-ring · seed 18',
      'rep4-ring · optimized 15',
      'replicated-ring · seed 1',
      'replicated-ring · optimized 1',
    ]);
    const opt = runs[1]!;
    expect([...opt.stages.values()].reduce((s, m) => s + m.rounds, 0)).toBe(241);
    expect(opt.outside.seconds).toBeCloseTo(4.17437 - 4.14441332, 8);
    expect(opt.outside.mb).toBe(0); // 57.8895 printed vs 57.889492 summed: rounding, not data
    expect(runs[2]!.outside.mb).toBeCloseTo(168.857 - 168.851842, 8);
  });

  test("a difference within MP-SPDZ's rounding is 0, a larger one is kept, a negative one is noted", () => {
    const stages = new Map<string, Metrics>([
      ['a', { seconds: 1.23456, mb: 57.8845, rounds: 240 }],
      ['b', { seconds: 0.5, mb: 0.004992, rounds: 1 }],
    ]);
    expect(outsideStages(57.8895, stages, 'mb')).toBe(0);
    expect(outsideStages(57.8896, stages, 'mb')).toBeCloseTo(0.000108, 9);
    expect(outsideStages(1.73457, stages, 'seconds')).toBe(0);
    expect(outsideStages(1.7346, stages, 'seconds')).toBeCloseTo(0.00004, 9);
    expect(outsideStages(242, stages, 'rounds')).toBe(1);
    expect(outsideStages(240, stages, 'rounds')).toBe(-1);
    expect(outsideStages(undefined, stages, 'rounds')).toBeUndefined();
    const r = records()[0]!; // replicated-ring, optimized: stages 241, total 242 rounds
    const fewer = { ...r, parties: r.parties.map((p) => ({ ...p, rounds: 240 })) } as ResultRecord;
    const [rep] = buildReports([fewer]);
    expect(rep!.runs[0]!.outside.rounds).toBe(-1);
    expect(rep!.notes.join('\n')).toContain("a negative 'outside the stages' figure");
    expect(buildReports([r])[0]!.notes.join('\n')).not.toContain('negative');
  });
});

describe('the terminal table', () => {
  test('totals with estimates, stages and layers, runs as columns', () => {
    const t = renderTable(buildReports(records())[0]!);
    const lines = t.split('\n');
    expect(lines[0]).toBe('emotion: 4 runs, MP-SPDZ 0.4.2; revealed label 4');
    expect(lines.find((l) => l.startsWith('time, party 0 (s)'))).toMatch(/20\.9\s+÷5\.0 4\.17\s+79\.2\s+÷3\.6 22\.2/);
    expect(lines.find((l) => l.startsWith('rounds, party 0'))).toMatch(/89,035\s+÷368 242\s+169,838\s+÷243 700/);
    expect(lines.find((l) => l.startsWith('  compile.py: VM rounds'))).toMatch(/87,813\s+217\s+90,235\s+245/);
    // the CNN is the largest stage everywhere; avgpool_1 dominates the seed style's time
    expect(lines.filter((l) => l.startsWith('  CNN')).every((l) => (l.match(/\*/g) ?? []).length === 4)).toBe(true);
    const timeLayers = lines.slice(lines.findIndex((l) => l.startsWith('time per CNN layer')));
    expect(timeLayers.find((l) => l.startsWith('  avgpool_1'))).toMatch(/13\.9\*\s+0\.333\s+48\.9\*/);
    // each stage block ends with the outside row and the total its rows add up to
    const rounds = lines.slice(lines.indexOf('rounds per stage, party 0') + 1, lines.indexOf('time per CNN layer (s), party 0') - 1);
    expect(rounds.map((l) => l.slice(0, 22).trim())).toEqual(['inputs', 'frame selection', 'CNN', 'per-frame output', 'aggregation', 'outside the stages', 'total']);
    expect(rounds[5]).toMatch(/^ {2}outside the stages\s+1\s+1\s+18\s+15$/);
    expect(rounds[6]).toMatch(/^ {2}total\s+89,035\s+242\s+169,838\s+700$/);
    const cells = rounds.map((l) => l.slice(22).trim().split(/\s+/).map((c) => Number(c.replace(/[,*]/g, ''))));
    for (let col = 0; col < 4; col++) expect(cells.slice(0, 6).reduce((s, row) => s + row[col]!, 0)).toBe(cells[6]![col]);
    expect(t).toContain("Outside the stages: party 0's total minus its stage timers.");
    // every line of the table is no wider than a wide terminal
    expect(Math.max(...lines.filter((l) => !l.startsWith('note:') && !l.startsWith('*')).map((l) => l.length))).toBeLessThanOrEqual(110);
  });
});

describe('the SVG chart', () => {
  const svg = renderSvg(buildReports(records()), { source: 'test/fixtures/emotion-results.jsonl' });

  test('is well-formed, self-contained XML', () => {
    expectWellFormedXml(svg);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/<script|<image|<foreignObject|@import|@font-face|url\((?!#)/i);
    expect([...svg.matchAll(/(?:href|src)="([^"]*)"/g)].map((m) => m[1])).toEqual([]);
  });

  test('has the runs, stages and layers as labels, and bars for them', () => {
    for (const label of ['replicated-ring · seed', 'replicated-ring · optimized', 'rep4-ring · seed', 'rep4-ring · optimized']) {
      expect(svg).toContain(`>${label}</text>`);
    }
    for (const s of ['inputs', 'frame selection', 'CNN', 'per-frame output', 'aggregation']) expect(svg).toContain(`>${s}</text>`);
    for (const l of ['conv2d_1', 'avgpool_1', 'relu_1', 'dense_2 (activation)', 'dense_3']) expect(svg).toContain(`>${l}</text>`);
    for (const t of ['Totals', 'Per stage', 'Per CNN layer', 'time, party 0 (s)', 'data sent, all parties (MB)', 'rounds, party 0, log scale']) expect(svg).toContain(`>${t}</text>`);
    // what the optimisation changed, against the seed style
    expect(svg).toContain('>4.17  ÷5.0</text>');
    expect(svg).toContain('>242  ÷368</text>');
    // bars: 4 runs x 3 totals, hatched for the seed style
    const hatched = svg.match(/<rect [^>]*fill="url\(#hatch-\d\)"/g) ?? [];
    expect(hatched.length).toBeGreaterThanOrEqual(2 * 3);
    // the stacked stage bars: the CNN segment in each of 4 runs x 3 figures
    expect((svg.match(/<rect [^>]*fill="#332288"/g) ?? []).length).toBe(1 + 4 * 3);
    // the layer table: 18 layers x 4 runs x 3 figures, each a shaded cell
    expect((svg.match(/<rect [^>]*height="18"[^>]*\/>/g) ?? []).length).toBeGreaterThan(0);
    // the dominant layer of the seed style under replicated-ring is avgpool_1, in bold
    expect(svg).toMatch(/<text [^>]*font-weight="bold" text-anchor="middle" fill="#ffffff">13\.9<\/text>/);
    expect(svg).toMatch(/<desc id="desc">[^<]*emotion replicated-ring · seed: 20\.9 s, 194 MB, 89,035 rounds; most time in CNN, layer avgpool_1 \(13\.9 s\)/);
  });

  test('a log scale, marked as such, once a panel spans more than 20 times; linear otherwise', () => {
    const lin = barScale([20.9, 4.17, 79.2, 22.2]);
    expect(lin.log).toBe(false);
    expect(lin.at(4.17)).toBeCloseTo(4.17 / 79.2);
    const log = barScale([89035, 87813, 242, 217, undefined]);
    expect(log.log).toBe(true);
    expect(log.ticks).toEqual([1, 10, 100, 1000, 10000]);
    expect(log.at(89035)).toBe(1);
    expect(log.at(1)).toBe(0);
    expect(log.at(242)).toBeCloseTo(Math.log10(242) / Math.log10(89035));
    expect(barScale([0.03, 20.9]).ticks[0]).toBeCloseTo(0.01);
    expect(barScale([0, 0]).at(0)).toBe(0);
  });

  test("rounds: an optimized run's bars are readable beside the seed style's", () => {
    expect(svg).toContain('>rounds, party 0, log scale</text>');
    expect(svg).not.toContain('time, party 0 (s), log scale');
    expect(svg).toContain('>100k</text>');
    const seed = barWidth(svg, 'replicated-ring · seed: 89,035 rounds, party 0');
    const opt = barWidth(svg, 'replicated-ring · optimized: 242 rounds, party 0');
    expect(opt).toBeGreaterThan(0.4 * seed); // linear: 0.3%
    expect(opt).toBeLessThan(seed);
    // per stage: each run's bar is its own total, so the optimized run's stages show too
    expect(svg).toContain('>rounds, shares of each run&#39;s total</text>');
    expect(barWidth(svg, 'replicated-ring · optimized, CNN: 114 rounds')).toBeGreaterThan(0.4 * barWidth(svg, 'replicated-ring · seed, CNN: 88,907 rounds'));
    // time stays on a linear scale shared by the runs: the optimized run's bar is shorter
    expect(barWidth(svg, 'replicated-ring · optimized, CNN: 3.47 s')).toBeLessThan(0.25 * barWidth(svg, 'replicated-ring · seed, CNN: 20.3 s'));
  });

  test('per stage, the bars add up to the totals: the outside segment and its note', () => {
    const widths = (run: string, rounds: Record<string, string>) => Object.entries(rounds).map(([st, v]) => barWidth(svg, `${run}, ${st}: ${v} rounds`));
    const opt = widths('rep4-ring · optimized', { inputs: '36', 'frame selection': '2', CNN: '514', 'per-frame output': '100', aggregation: '33', 'outside the stages': '15' });
    const seed = widths('rep4-ring · seed', { inputs: '36', 'frame selection': '2', CNN: '169,647', 'per-frame output': '102', aggregation: '33', 'outside the stages': '18' });
    // shares of each run's total: both bars are equally long, the outside segment included
    expect(opt.reduce((s, w) => s + w, 0)).toBeCloseTo(seed.reduce((s, w) => s + w, 0), 0);
    expect(svg).toMatch(/>700<\/text>/);
    expect(svg).toContain('>outside the stages</text>');
    expect(svg).toContain("Outside the stages: party 0&#39;s total minus its stage timers.");
  });

  test('renders one run, several pipelines, and records without layer timers', () => {
    const rs = records();
    const other = { ...rs[1]!, pipeline: 'other', timers: rs[1]!.timers.filter((t) => t.timer < 100) } as ResultRecord;
    const one = renderSvg(buildReports([rs[1]!, other]));
    expectWellFormedXml(one);
    expect(one).toContain('>emotion: where the cost goes</text>');
    expect(one).toContain('>other: where the cost goes</text>');
    expect(one.match(/Per CNN layer/g)).toHaveLength(1);
    expect(one).not.toContain('NaN');
    expect(one).not.toContain('Infinity');
    // an optimized run on its own: linear, its bar as long as the panel allows
    const alone = renderSvg(buildReports([rs[0]!]));
    expect(alone).not.toContain('log scale');
    expect(alone).not.toContain('shares of');
    expect(barWidth(alone, 'replicated-ring · optimized: 242 rounds, party 0')).toBeGreaterThan(150);
  });
});

test('the HTML page holds the chart and the tables, and nothing from elsewhere', () => {
  const html = renderHtml(buildReports(records()), { source: 'r.jsonl' });
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
  expect(html).toContain('<pre>emotion: 4 runs, MP-SPDZ 0.4.2; revealed label 4');
  expect(html).toContain('rounds, party 0, log scale');
  expect(html).toMatch(/\n {2}outside the stages +1 +1 +18 +15\n {2}total +89,035 +242 +169,838 +700\n/);
  expect(html).not.toMatch(/<script|<link|src=|@import/i);
  expectWellFormedXml(/<svg[\s\S]*<\/svg>/.exec(html)![0]);
});

// ---- the command ------------------------------------------------------------------------------

/** `ppvc-dsl report ...` as users run it: `node dist/cli.js` (dist/ is built by the Jest globalSetup, test/global-setup.mjs). */
function ppvc(args: string[]) {
  const r = spawnSync('node', [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ppvc-dsl report prints the table and writes the SVG and HTML files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-report-'));
  const r = ppvc(['report', FIXTURE, '--svg', join(dir, 'c.svg'), '--html', join(dir, 'c.html')]);
  expect(r.stderr).toBe(`wrote ${join(dir, 'c.svg')}\nwrote ${join(dir, 'c.html')}\n`);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe(renderTable(buildReports(records())[0]!));
  expectWellFormedXml(readFileSync(join(dir, 'c.svg'), 'utf8'));
  expect(readFileSync(join(dir, 'c.html'), 'utf8')).toContain('<svg');
});

test('ppvc-dsl report --json and its errors', () => {
  const j = ppvc(['report', FIXTURE, '--json']);
  expect(j.status).toBe(0);
  const out = JSON.parse(j.stdout);
  expect(out.reports[0].runs).toHaveLength(4);
  expect(out.reports[0].runs[1].baseline).toBe('replicated-ring · seed');
  expect(out.reports[0].runs[1].outsideStages.rounds).toBe(1);
  expect(out.reports[0].runs[1].party0.rounds).toBe(242);
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-report-'));
  writeFileSync(join(dir, 'bad.jsonl'), '{"pipeline": "x"}\n');
  const bad = ppvc(['report', join(dir, 'bad.jsonl')]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toContain('bad.jsonl:1: not a result record');
  expect(bad.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  const missing = ppvc(['report', join(dir, 'none.jsonl')]);
  expect(missing.status).toBe(1);
  expect(missing.stderr).toContain('none.jsonl: no such file');
  const other = ppvc(['report', FIXTURE, '--pipeline', 'nope']);
  expect(other.status).toBe(1);
  expect(other.stderr).toContain('--pipeline nope: no records of that pipeline (the files have emotion)');
});
