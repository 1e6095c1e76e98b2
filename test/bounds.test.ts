// Declared value bounds (`target { bound LAYER B }`): the checks on the declaration, the
// narrow-compare pass and its emission, the check of the model owner's weights against each
// bound (the interval bounds, for any video in the declared range), and simulate's
// suggestions. That a narrowed comparison gives the same values is checked with MP-SPDZ
// (test/mp-spdz.test.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, checkText, pipelineOf } from './helpers.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import { programLayers } from '../src/passes/program-layers.js';
import { boundBits } from '../src/ir/ring-fit.js';
import { assertBoundsHold, checkBounds, suggestBounds, suggestedBound } from '../src/simulate/declared-bounds.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import { provenBounds } from '../src/simulate/interval-bounds.js';
import { tensorsOf } from '../src/passes/plan-inputs.js';
import { UserError } from '../src/diagnostics.js';
import { readInputs } from '../src/backend/run-pipeline.js';

/** A small pipeline with max pooling, a folded batch normalisation and a ReLU after it; `target` is the target block's body. */
const pipeline = (target: string, layers?: string) => `pipeline p
party alice = 0
party bob = 1
video v: [10, 8, 8, 1] from alice range [0, 1]
select 2 frames by bob
model m by bob {
${
  layers ??
  `  conv2d 4 kernel 3x3 same
  relu
  maxpool 2x2
  conv2d 4 kernel 3x3 same
  batchnorm
  relu
  avgpool 2x2
  flatten
  dense 8 relu
  dense 3`
}
}
classify each frame with m
target mp-spdz { ${target} }
`;

const messages = (text: string) => checkText(text).diagnostics.map((d) => `${d.severity}: ${d.message}`);

/** Bob's He-uniform input file (seed 1) for a pipeline, with named tensors overwritten. */
function bobValues(p: ReturnType<typeof pipelineOf>['p'], plan: ReturnType<typeof pipelineOf>['plan'], set: Record<string, number[]> = {}): Float32Array {
  const values = partyValues(plan, p, 1, { seed: 1, frames: [0, 5] });
  const bob = plan.parties.find((x) => x.party === 1)!;
  for (const [name, v] of Object.entries(set)) {
    const t = bob.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`no tensor ${name}: ${bob.tensors.map((x) => x.name).join(', ')}`);
    expect(v.length).toBe(t.elements);
    values.set(v, t.offset);
  }
  return values;
}

describe('bound declarations', () => {
  test('boundBits: the k of values in (-B, B), as sfix counts it (sign included)', () => {
    expect(boundBits(8, 16)).toBe(20); // |x * 2^16| < 2^19
    expect(boundBits(5, 16)).toBe(20);
    expect(boundBits(4, 16)).toBe(19);
    expect(boundBits(1, 16)).toBe(17);
    expect(boundBits(0.25, 16)).toBe(15);
    expect(boundBits(2 ** -30, 16)).toBe(2);
    // precision 16 31 holds |x| < 2^14: a bound of 2^14 needs all 31 bits
    expect(boundBits(2 ** 14, 16)).toBe(31);
    expect(suggestedBound(4.96)).toBe(8);
    expect(suggestedBound(4)).toBe(8); // a bound is strict: 4 itself needs 8
    expect(suggestedBound(3.2)).toBe(4);
  });

  test('read from the target block, before its other keys (a layer may be called like one)', () => {
    const { p } = pipelineOf(pipeline('protocol replicated-ring  bound conv2d_1 8  bound "conv2d_2" 100'));
    expect(p.target.bounds.map((b) => [b.layer, b.value, b.span?.line, b.span?.col])).toEqual([
      ['conv2d_1', 8, 19, 50],
      ['conv2d_2', 100, 19, 68],
    ]);
    expect(pipelineOf(pipeline('protocol replicated-ring')).p.target.bounds).toEqual([]);
  });

  test('a wrong bound argument is one error, not a second one for an unexpected argument; a key after it stays a key', () => {
    const errors = (t: string) => messages(pipeline(t)).filter((m) => m.startsWith('error'));
    expect(errors('bound conv2d_1 -3')).toEqual(["error: 'bound conv2d_1' needs a number greater than 0"]);
    expect(errors('bound conv2d_1 0x10')).toEqual(["error: 'bound conv2d_1' needs a number greater than 0"]);
    expect(errors('bound conv2d_1 1e400')).toEqual(["error: 'bound conv2d_1' needs a number greater than 0"]);
    expect(errors('bound conv2d_1 ring 64')).toEqual(["error: 'bound conv2d_1' needs a number greater than 0"]);
    expect(errors('bound 4 conv2d_1 8')).toEqual([
      "error: 'bound' needs a layer name",
      "error: target: unexpected argument 'conv2d_1'",
      "error: target: unexpected argument '8'",
    ]);
  });

  test("a bound that needs all of precision's bits is a warning; one that narrows nothing says why", () => {
    expect(messages(pipeline('bound conv2d_1 16384'))).toContain(
      'warning: bound conv2d_1 16384 needs all 31 bits of precision 16 31: its comparisons stay as they are',
    );
    // a ReLU's own output: the comparison tests what it reads
    expect(messages(pipeline('bound relu_1 4'))).toContain(
      "warning: bound relu_1 narrows no comparison: a ReLU's comparison tests the values it reads: bound 'conv2d_1' instead",
    );
    // a convolution whose batch normalisation is folded into it: the program never holds its own values
    expect(messages(pipeline('bound conv2d_2 4'))).toContain(
      "warning: bound conv2d_2 narrows no comparison: 'batchnorm_1' is folded into it, so the program never holds its own values: bound 'batchnorm_1' instead",
    );
    expect(messages(pipeline('bound dense_2 4'))).toContain(
      'warning: bound dense_2 narrows no comparison: no ReLU or max pooling of the program tests its values',
    );
    expect(messages(pipeline('bound conv2d_1 4  bound batchnorm_1 8  bound dense_1 2')).filter((m) => m.startsWith('warning'))).toEqual([]);
  });

  test('the seed style and --opt no-narrow-compare use no bound, and say so', () => {
    const text = pipeline('bound conv2d_1 4');
    const off = (style: 'seed' | undefined, opt: object) => buildOf(text, style, opt);
    expect(off('seed', {}).warnings).toContain("the target's bounds narrow no comparison: narrow-compare is off (the seed style)");
    expect(off(undefined, { 'narrow-compare': false }).warnings).toContain(
      "the target's bounds narrow no comparison: narrow-compare is off (--opt no-narrow-compare)",
    );
    expect(off(undefined, { 'narrow-compare': false }).program).not.toContain('compare_bits');
    expect(off('seed', {}).program).not.toContain('compare_bits');
  });
});

function buildOf(text: string, style?: 'seed', optimizations: object = {}) {
  const r = checkSource({ path: 'test.ppvc', text }, { style, optimizations });
  return { warnings: r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message), program: buildPipeline(r.pipeline!).program };
}

describe('narrow-compare', () => {
  test('the comparisons that test a bounded layer get its bits: a ReLU, a max pooling after relu-maxpool, a fused ReLU + pooling', () => {
    const { p } = pipelineOf(pipeline('protocol rep4-ring  bound conv2d_1 8  bound batchnorm_1 100  bound dense_1 0.5'));
    const layers = programLayers(p);
    const bits = layers
      .filter((l) => 'compareBits' in l && l.compareBits !== undefined)
      .map((l) => [l.kind, l.from, (l as { compareBits: number }).compareBits]);
    expect(bits).toEqual([
      // relu-maxpool: the pooling compares the convolution's values, then the ReLU the pooled ones
      ['maxpool', 'maxpool_1', 20],
      ['relu', 'relu_1, moved after maxpool_1', 20],
      // batch normalisation folded into conv2d_2, whose output the fused ReLU + pooling tests
      ['avgpool', 'relu_2 + avgpool_1', 24],
      // the dense layer's activation (a ReLU object of its own with vector layers)
      ['relu', 'dense_1 (activation)', 16],
    ]);
    const program = buildPipeline(p).program.replace(/\s+/g, ' ');
    expect(program).toContain('maxpool_1 = ml.PpvcMaxPool2d( [2, 8, 8, 4], (2, 2), (2, 2), "VALID", compare_bits=20 ) # comparisons on 20 + 1 bits: bound conv2d_1 8 ');
    expect(program).toContain('relu_1 = ml.PpvcRelu( [2, 4, 4, 4], compare_bits=20 ) # relu_1, moved after maxpool_1 (comparisons on 20 + 1 bits: bound conv2d_1 8)');
    expect(program).toContain('avgpool_1 = ml.PpvcAvgPool2d( [2, 4, 4, 4], (2, 2), (2, 2), "VALID", relu=True, raw=True, compare_bits=24 ) # relu_2 + avgpool_1 (');
    expect(program).toContain('dense_1_relu = ml.PpvcRelu( [2, 1, 8], compare_bits=16 ) # dense_1 (activation) (comparisons on 16 + 1 bits: bound dense_1 0.5)');
  });

  test('without bounds the program is the same as before the pass, byte for byte', () => {
    const { p } = pipelineOf(pipeline('protocol rep4-ring'));
    const off = checkSource({ path: 'test.ppvc', text: pipeline('protocol rep4-ring') }, { optimizations: { 'narrow-compare': false } }).pipeline!;
    const strip = (s: string) => s.replace(/^# Optimisations: .*$/m, '');
    expect(strip(buildPipeline(p).program)).toBe(strip(buildPipeline(off).program));
  });

  test('a ReLU6 keeps its comparisons (it also compares with its cap)', () => {
    const six = pipelineOf(pipeline('bound conv2d_1 4', '  conv2d 4 kernel 3x3 same\n  relu max 6\n  flatten\n  dense 3')).p;
    expect(programLayers(six).some((l) => 'compareBits' in l && l.compareBits !== undefined)).toBe(false);
  });

  test("a max pooling moved before its ReLU pools the ReLU's inputs: its own bound (of values after the ReLU) reaches neither it nor the ReLU", () => {
    // conv2d_1 -> relu_1 -> maxpool_1: maxpool_1's values are never negative, but after
    // relu-maxpool the pooling selects among conv2d_1's, which may lie far below -4
    const text = pipeline('bound conv2d_1 64  bound maxpool_1 4');
    const r = checkSource({ path: 'test.ppvc', text });
    expect(r.diagnostics.map((d) => d.message)).toContain('bound maxpool_1 narrows no comparison: no ReLU or max pooling of the program tests its values');
    const layers = programLayers(r.pipeline!);
    expect(layers.find((l) => l.kind === 'maxpool')).toMatchObject({ beforeRelu: true, compareBits: 23 });
    expect(layers.find((l) => l.kind === 'relu' && l.from.startsWith('relu_1'))).toMatchObject({ compareBits: 23 });
  });

  test("without relu-maxpool a pooling keeps its own bound, the smaller of it and its input's; an average pooling widens its input's by its rounding", () => {
    const layers =
      '  conv2d 4 kernel 3x3 same\n  relu\n  maxpool 2x2\n  maxpool 2x2 stride 1 same\n  avgpool 2x2 stride 1 same\n  maxpool 2x2 stride 1 same\n  flatten\n  dense 3';
    const r = checkSource({ path: 'test.ppvc', text: pipeline('bound conv2d_1 64  bound maxpool_1 4', layers) }, { optimizations: { 'relu-maxpool': false } });
    const bits = programLayers(r.pipeline!)
      .filter((l) => 'compareBits' in l && l.compareBits !== undefined)
      .map((l) => [l.from, (l as { compareBits: number }).compareBits]);
    expect(bits).toEqual([
      ['relu_1', 23],
      ['maxpool_1', 23],
      ['maxpool_2', 19],
      // values in (-4, 4) averaged: a hair past 4 (cfix(1/4) is exact, the truncation is not)
      ['maxpool_3', 20],
    ]);
  });
});

describe('bounds against the weights', () => {
  // one 3x3 filter per output channel on a single input channel in [0, 1]: the largest value
  // is the sum of the positive weights plus the bias (interval arithmetic is exact here)
  const text = pipeline('bound conv2d_1 4', '  conv2d 2 kernel 3x3 valid\n  relu\n  flatten\n  dense 3');
  const { p, plan } = pipelineOf(text);
  const kernel = (a: number, b: number) => Array.from({ length: 18 }, (_, i) => (i % 2 === 0 ? a : b));

  test('the proven bound is what the weights allow for any video in range', () => {
    // channel 0: nine weights of 0.4 and bias 0.2 -> 3.8; channel 1: nine of -0.1 -> 0.9 below zero
    const bob = bobValues(p, plan, { 'conv2d_1.kernel': kernel(0.4, -0.1), 'conv2d_1.bias': [0.2, 0] });
    const [c] = checkBounds(p, plan, new Map([[1, bob]]));
    expect(c!.layer).toBe('conv2d_1');
    expect(c!.declared).toBe(4);
    expect(c!.proven).toBeGreaterThanOrEqual(3.8);
    expect(c!.proven).toBeLessThan(3.8 + 0.01);
    expect(() => assertBoundsHold(p, plan, new Map([[1, bob]]), 'bob.txt')).not.toThrow();
  });

  test('weights that break a bound are refused at the bound, with what it needs', () => {
    const bob = bobValues(p, plan, { 'conv2d_1.kernel': kernel(0.5, -0.1), 'conv2d_1.bias': [0, 0] });
    let error: unknown;
    try {
      assertBoundsHold(p, plan, new Map([[1, bob]]), 'bob.txt');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    const d = (error as UserError).diagnostics[0]!;
    expect([d.span?.line, d.span?.col]).toEqual([13, 24]);
    expect(d.message).toMatch(
      /^bob\.txt: with these weights 'conv2d_1' can reach 4\.50\d for a video in \[0, 1\], beyond its declared bound 4; the comparisons narrowed to it would give wrong results$/,
    );
    expect(d.expected).toBe('bound conv2d_1 8 or more, or no bound');
  });

  test("a folded batch normalisation is checked on its convolution's (normalised) values", () => {
    const { p: q, plan: qplan } = pipelineOf(pipeline('bound batchnorm_1 1000'));
    const bob = bobValues(q, qplan);
    const proven = provenBounds(
      q,
      tensorsOf({ ...qplan, parties: qplan.parties.filter((x) => x.party === 1) }, new Map([[1, Float64Array.from(bob)]])),
      16,
    ).layers;
    expect(checkBounds(q, qplan, new Map([[1, bob]]))).toEqual([{ layer: 'batchnorm_1', declared: 1000, proven: proven.get('conv2d_2') }]);
  });

  test("simulate suggests the power of two above each tested layer's proven bound, and not what is declared already", () => {
    const bob = bobValues(p, plan, { 'conv2d_1.kernel': kernel(0.4, -0.1), 'conv2d_1.bias': [0.2, 0] });
    const proven = provenBounds(
      p,
      tensorsOf({ ...plan, parties: plan.parties.filter((x) => x.party === 1) }, new Map([[1, Float64Array.from(bob)]])),
      16,
    ).layers;
    expect(suggestBounds(p, proven)).toEqual([]); // bound conv2d_1 4 is declared
    const { p: bare } = pipelineOf(text.replace('bound conv2d_1 4', ''));
    expect(suggestBounds(bare, proven)).toEqual([{ layer: 'conv2d_1', bound: 4, bits: 19 }]);
  });
});

describe('the commands refuse weights that break a bound', () => {
  test('random-weights: He-uniform weights beyond a tight bound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-bounds-'));
    const file = join(dir, 'p.ppvc');
    writeFileSync(file, pipeline('bound conv2d_1 0.01'));
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'random-weights', file, '-o', join(dir, 'bob.txt')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      stderr = (e as { stderr: string }).stderr;
    }
    expect(stderr).toContain(`${file}:19:24: error: `);
    expect(stderr).toMatch(
      /random weights \(seed 1\): with these weights 'conv2d_1' can reach [\d.]+ for a video in \[0, 1\], beyond its declared bound 0\.01/,
    );
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  test('simulate prints the bounds worth declaring; declared, they pass random-weights and simulate and leave the suggestion out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-bounds-'));
    const cli = (...args: string[]) => execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', stdio: 'pipe' });
    const file = join(dir, 'p.ppvc');
    const video = join(dir, 'video.txt');
    writeFileSync(video, Array.from({ length: 10 * 8 * 8 }, (_, i) => ((i * 37) % 101) / 100).join('\n') + '\n');
    writeFileSync(file, pipeline('protocol replicated-ring'));
    // random-weights (and export-weights) print them too, for the weights they write
    const written = /^narrower comparisons: (.*) in the target statement/m.exec(cli('random-weights', file, '-o', join(dir, 'bob.txt')));
    const out = cli('simulate', file, '--video', video, '--weights', join(dir, 'bob.txt'), '--fixed-only');
    const line = /^narrower comparisons: (.*) in the target statement/m.exec(out);
    expect(line).not.toBeNull();
    expect(written?.[1]).toBe(line![1]);
    expect(line![1]).toMatch(/^bound conv2d_1 \d+/);
    writeFileSync(file, pipeline(`protocol replicated-ring  ${line![1]}`));
    expect(cli('random-weights', file, '-o', join(dir, 'bob.txt'))).not.toContain('narrower comparisons');
    expect(cli('simulate', file, '--video', video, '--weights', join(dir, 'bob.txt'), '--fixed-only')).not.toContain('narrower comparisons');
    expect(cli('build', file, '-o', join(dir, 'out'))).toContain('wrote');
  });

  test('run, deploy and simulate (also under emulate, where party 0 reads every input) refuse weights that break a bound; a bound that narrows nothing is not checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ppvc-bounds-'));
    const cli = (...args: string[]) => {
      try {
        return { status: 0, stdout: execFileSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), ...args], { encoding: 'utf8', stdio: 'pipe' }), stderr: '' };
      } catch (e) {
        const x = e as { status: number; stdout: string; stderr: string };
        return { status: x.status, stdout: x.stdout, stderr: x.stderr };
      }
    };
    const free = join(dir, 'free.ppvc');
    const bound = join(dir, 'bound.ppvc');
    writeFileSync(free, pipeline('protocol replicated-ring'));
    writeFileSync(bound, pipeline('protocol replicated-ring  bound conv2d_1 0.01'));
    const weights = join(dir, 'bob.txt');
    expect(cli('random-weights', free, '-o', weights).status).toBe(0);
    const video = join(dir, 'video.txt');
    writeFileSync(video, Array.from({ length: 10 * 8 * 8 }, (_, i) => ((i * 37) % 101) / 100).join('\n') + '\n');
    const refused = (r: { status: number; stderr: string }) => {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${bound}:19:50: error: ${weights}: with these weights 'conv2d_1' can reach`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    };
    refused(cli('simulate', bound, '--video', video, '--weights', weights, '--fixed-only'));
    refused(cli('simulate', bound, '--video', video, '--weights', weights, '--fixed-only', '--protocol', 'emulate'));
    const hosts = join(dir, 'hosts.txt');
    writeFileSync(hosts, 'localhost\nlocalhost\nlocalhost\n');
    refused(cli('deploy', bound, '--hosts', hosts, '--model-input', weights, '-o', join(dir, 'bundle')));
    expect(existsSync(join(dir, 'bundle'))).toBe(false);
    // run reads and checks every input before it needs MP-SPDZ's party binary
    const a = buildPipeline(pipelineOf(readFileSync(bound, 'utf8')).p);
    expect(() =>
      readInputs(
        a,
        new Map([
          [0, video],
          [1, weights],
        ]),
      ),
    ).toThrow(/with these weights 'conv2d_1' can reach/);
    // a bound on a convolution whose batch normalisation is folded in narrows nothing: a warning, no refusal
    writeFileSync(bound, pipeline('protocol replicated-ring  bound conv2d_2 0.01'));
    const unused = cli('simulate', bound, '--video', video, '--weights', weights, '--fixed-only');
    expect(unused.status).toBe(0);
  });
});
