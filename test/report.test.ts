// `ppvc-dsl report`: result records -> per-stage and per-layer cost breakdown, as a terminal table,
// a self-contained SVG chart and an HTML page. The fixture test/fixtures/emotion-results.jsonl is
// four real records of examples/emotion.ppvc (MP-SPDZ 0.4.2, replicated-ring and rep4-ring, seed
// and optimized style; `ppvc-dsl run ... --results`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT } from './helpers.js';
import { buildReports, formatValue, parseResultsJsonl, ratio } from '../src/report/model.js';
import { renderTable } from '../src/report/table.js';
import { renderSvg } from '../src/report/svg.js';
import { renderHtml } from '../src/report/html.js';
import type { ResultRecord } from '../src/backend/run-pipeline.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'emotion-results.jsonl');
const records = () => parseResultsJsonl(readFileSync(FIXTURE, 'utf8'), FIXTURE);

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
    for (const t of ['Totals', 'Per stage', 'Per CNN layer', 'time, party 0 (s)', 'data sent, all parties (MB)', 'rounds, party 0']) expect(svg).toContain(`>${t}</text>`);
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
  });
});

test('the HTML page holds the chart and the tables, and nothing from elsewhere', () => {
  const html = renderHtml(buildReports(records()), { source: 'r.jsonl' });
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
  expect(html).toContain('<pre>emotion: 4 runs, MP-SPDZ 0.4.2; revealed label 4');
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
