// The typed API (src/api.ts, the package's main export) as a research script meets it: every
// stage gives what the command line gives for the same settings, errors come back as values
// with the messages the command prints, and examples/sweep-precision.mjs (which imports
// 'ppvc-dsl' itself) prints its table. The MPC run needs MP-SPDZ and skips, saying so, without it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ROOT, describeUnless, noMpSpdzReason } from './helpers.js';
import { build, check, importModel, randomInputs, run, simulate, type Diagnostic, type Failure, type Result } from '../src/api.js';

// The CLI as users run it (dist/, which the global setup builds when stale), without MP-SPDZ.
function cli(args: string[]) {
  const env = { ...process.env, MP_SPDZ_HOME: '', PPVC_DSL_CACHE: join(tmpdir(), 'ppvc-api-no-mp-spdz-cache') };
  return spawnSync('node', [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 120_000 });
}

const scratch = mkdtempSync(join(tmpdir(), 'ppvc-api-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The failure of a result that must have failed (its successful value says why not). */
function failed<T extends object>(r: Result<T>): Failure {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(Object.keys(r))}`);
  return r;
}

function succeeded<T extends object>(r: Result<T>): { ok: true; warnings: Diagnostic[] } & T {
  if (!r.ok) throw new Error(r.errors.map((e) => e.text).join('\n'));
  return r;
}

// the process's working directory is the repository (relative paths as the CLI tests use them)
beforeAll(() => process.chdir(ROOT));

describe('check', () => {
  test('a pipeline: its summary, as check --json reports it', async () => {
    const r = succeeded(await check('examples/emotion.ppvc'));
    const j = JSON.parse(cli(['check', 'examples/emotion.ppvc', '--json']).stdout);
    expect(r.pipeline.parameters).toBe(1_485_831);
    expect(JSON.parse(JSON.stringify(r.pipeline))).toEqual(j.pipeline);
    expect(r.warnings).toEqual([]);
  });

  test('errors are values: file, line, col, message, expected/found and the text the CLI prints', async () => {
    const f = failed(await check('test/should-fail/kernel-too-large.ppvc'));
    expect(f.exitStatus).toBe(1);
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatchObject({
      severity: 'error',
      kind: 'user',
      file: 'test/should-fail/kernel-too-large.ppvc',
      line: 8,
      col: 3,
      message: 'conv2d: the 9x9 kernel does not fit its 8x8 input',
      expected: "a kernel no larger than 8x8 (or 'same' padding)",
      found: '9x9',
    });
    const printed = cli(['check', 'test/should-fail/kernel-too-large.ppvc']);
    expect(printed.status).toBe(1);
    expect(printed.stderr).toContain(f.errors[0]!.text);
    expect(f.errors[0]!.text.split('\n')[0]).toBe('test/should-fail/kernel-too-large.ppvc:8:3: error: conv2d: the 9x9 kernel does not fit its 8x8 input');
  });

  test('a source given as text, with every error of it', async () => {
    const text = readFileSync(join(ROOT, 'examples/tiny-2pc.ppvc'), 'utf8').replace('select 2 frames', 'select 20 frames').replace('conv2d 2 kernel 3x3 relu', 'conv2d 2 kernal 3x3 relu');
    const f = failed(await check({ path: 'in-memory.ppvc', text }));
    expect(f.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`)).toEqual([
      'in-memory.ppvc:9:8: cannot select 20 frames from a video of 10',
      expect.stringMatching(/^in-memory\.ppvc:12:12: .*did you mean 'kernel'\?/),
    ]);
  });

  test('a file that is not there is a user error, not an exception', async () => {
    const f = failed(await check(join(scratch, 'missing.ppvc')));
    expect(f.exitStatus).toBe(1);
    expect(f.errors[0]!.text).toBe(`error: ${f.errors[0]!.message}`);
    expect(f.errors[0]!.message).toContain('missing.ppvc');
  });

  test('the overrides replace the target statement: protocol, precision, ring, budget, optimisations', async () => {
    const r = succeeded(await check('examples/emotion.ppvc', { protocol: 'rep4-ring', precision: { f: 12, k: 19 }, ring: 32, budget: 5000, opt: { winograd: false } }));
    expect(r.pipeline.target).toMatchObject({ protocol: 'rep4-ring', f: 12, k: 19, ringBits: 32, budget: 5000 });
    expect(r.pipeline.target.optimizations).toMatchObject({ winograd: false, 'relu-avgpool': true });
    // a ring MP-SPDZ does not build by default: the target statement's warning
    expect(r.warnings.map((w) => w.message)).toEqual([expect.stringContaining("ring 32: MP-SPDZ builds rep4-ring-party.x for rings of 64")]);
  });

  test('an override that does not fit is the checker error, at the target statement, saying it is the override', async () => {
    const f = failed(await check('examples/emotion.ppvc', { precision: { f: 24, k: 40 } }));
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatchObject({ file: 'examples/emotion.ppvc', line: 35, col: 1, message: 'precision 24 40 does not fit a 64-bit ring: a fixed-point product needs k + f < ring bits' });
    expect(f.errors[0]!.hints).toEqual(["the precision or ring is the caller's override, not the target statement's"]);
  });

  test.each([
    [{ budget: 0 }, '--budget 0: expected a whole number, at least 1'],
    [{ ring: 7.5 }, 'ring 7.5: expected a whole number of bits from 8 to 256'],
    [{ precision: { f: 16.5, k: 31 } }, 'precision 16.5 31: expected two whole numbers F K, e.g. precision 16 31'],
    [{ opt: 'no-winogrd' }, "--opt: unknown optimisation 'winogrd'"],
    [{ opt: { winogrd: true } as never }, "--opt: unknown optimisation 'winogrd'"],
  ])('a bad override %j is refused as the CLI refuses it', async (options, message) => {
    const f = failed(await check('examples/emotion.ppvc', options));
    expect(f.exitStatus).toBe(1);
    expect(f.errors[0]!.message).toContain(message);
  });
});

describe('build', () => {
  test.each([
    [[], {}],
    [['--protocol', 'spdz2k', '--opt', 'no-winograd'], { protocol: 'spdz2k', opt: 'no-winograd' }],
    [['--style', 'seed', '--budget', '3000'], { style: 'seed', budget: 3000 }],
  ] as const)('the same files as ppvc-dsl build %j', async (args, options) => {
    const out = join(scratch, `cli-build-${args.length}`);
    expect(cli(['build', 'examples/emotion.ppvc', '-o', out, ...args]).status).toBe(0);
    const apiOut = join(scratch, `api-build-${args.length}`);
    const r = succeeded(await build('examples/emotion.ppvc', { ...options, outDir: apiOut }));
    expect(r.program).toBe(readFileSync(join(out, 'emotion.mpc'), 'utf8'));
    expect(r.written!.map((w) => basename(w)).sort()).toEqual(readdirSync(out).sort());
    for (const f of readdirSync(out)) expect([f, readFileSync(join(apiOut, f), 'utf8')]).toEqual([f, readFileSync(join(out, f), 'utf8')]);
    expect(r.commands.compile).toBe(JSON.parse(readFileSync(join(out, 'commands.json'), 'utf8')).compile);
  });

  test('without outDir nothing is written; a precision override reaches the program', async () => {
    const base = succeeded(await build('examples/emotion.ppvc'));
    const narrow = succeeded(await build('examples/emotion.ppvc', { precision: { f: 12, k: 22 } }));
    expect(base.outDir).toBeUndefined();
    expect(base.program).toContain('sfix.set_precision(16, 31)');
    expect(narrow.program).toContain('sfix.set_precision(12, 22)');
  });

  test('an output directory that would overwrite the pipeline is refused (user error)', async () => {
    const f = failed(await build('examples/emotion.ppvc', { outDir: join(ROOT, 'examples', 'emotion.ppvc') }));
    expect(f.exitStatus).toBe(1);
  });
});

describe('randomInputs and simulate', () => {
  test("randomInputs' weights are random-weights' file, value for value", async () => {
    const file = join(scratch, 'bob.txt');
    expect(cli(['random-weights', 'examples/small-maxpool.ppvc', '--seed', '3', '-o', file]).status).toBe(0);
    const apiFile = join(scratch, 'bob-api.txt');
    const r = succeeded(await randomInputs('examples/small-maxpool.ppvc', { seed: 3, weightsOut: apiFile }));
    expect(readFileSync(apiFile, 'utf8')).toBe(readFileSync(file, 'utf8'));
    expect(r.weights.length).toBe(readFileSync(file, 'utf8').trim().split('\n').length);
    expect(r.video.length).toBe(30 * 16 * 16);
    expect(Math.min(...r.video)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...r.video)).toBeLessThan(1);
  });

  test("under emulate (one process reads every input) the weights leave the video out, as under the pipeline's own protocol", async () => {
    const own = succeeded(await randomInputs('examples/small-maxpool.ppvc', { seed: 3 }));
    const emulate = succeeded(await randomInputs('examples/small-maxpool.ppvc', { seed: 3, protocol: 'emulate' }));
    expect(emulate.weights.length).toBe(own.weights.length);
    expect(emulate.video).toEqual(own.video);
  });

  test('simulate: float and fixed point agree; the precision override is the one emulated; as simulate --json', async () => {
    const inputs = succeeded(await randomInputs('examples/small-maxpool.ppvc', { seed: 3 }));
    const r = succeeded(await simulate('examples/small-maxpool.ppvc', { video: inputs.video, weights: inputs.weights }));
    expect(r.labelsAgree).toBe(true);
    expect(r.fixed.label).toBe(r.float!.label);
    expect(r.maxDifference).toBeLessThan(1e-2);
    const coarse = succeeded(await simulate('examples/small-maxpool.ppvc', { precision: { f: 8, k: 16 }, video: inputs.video, weights: inputs.weights }));
    expect(coarse.fixed.precision).toMatchObject({ f: 8, k: 16 });
    expect(coarse.maxDifference).toBeGreaterThan(r.maxDifference);
    // the same inputs from files, through the command line
    const { formatValues } = await import('../src/inputs/text-format.js');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(scratch, 'v.txt'), formatValues(inputs.video));
    writeFileSync(join(scratch, 'w.txt'), formatValues(inputs.weights));
    const j = JSON.parse(cli(['simulate', 'examples/small-maxpool.ppvc', '--video', join(scratch, 'v.txt'), '--weights', join(scratch, 'w.txt'), '--json']).stdout);
    expect([j.fixed.label, j.float.label, j.fixed.aggregate]).toEqual([r.fixed.label, r.float!.label, r.fixed.aggregate]);
    const fromFiles = succeeded(await simulate('examples/small-maxpool.ppvc', { video: join(scratch, 'v.txt'), weights: join(scratch, 'w.txt'), fixedOnly: true }));
    expect(fromFiles.fixed.aggregate).toEqual(r.fixed.aggregate);
  });

  test('simulate: inputs that do not fit are errors as values', async () => {
    const inputs = succeeded(await randomInputs('examples/small-maxpool.ppvc'));
    const f = failed(await simulate('examples/small-maxpool.ppvc', { video: inputs.video, weights: inputs.weights.slice(1) }));
    expect(f.exitStatus).toBe(1);
    expect(f.errors[0]!.message).toBe(`(weights values): ${inputs.weights.length - 1} values, but the model owner bob (party 1) must provide ${inputs.weights.length}`);
  });
});

describe('importModel', () => {
  const MODEL = 'test/catalogue/keras-8x8.json';

  test('the text ppvc-dsl import prints, and a pipeline that checks', async () => {
    const r = succeeded(await importModel(MODEL, { frames: 10, select: 2, range: [-1, 1] }));
    const printed = cli(['import', MODEL, '--frames', '10', '--select', '2', '--range=-1,1']);
    expect(printed.status).toBe(0);
    expect(r.text).toBe(printed.stdout);
    expect(r.summary.inputShape).toEqual([8, 8, 1]);
    expect(r.text).toContain('video frames: [10, 8, 8, 1] from alice  range [-1, 1]');
    const checked = succeeded(await check({ path: join(ROOT, 'imported.ppvc'), text: r.text }));
    expect(checked.pipeline.video).toEqual([10, 8, 8, 1]);
  });

  test.each([
    [{ range: [1, -1] as [number, number] }, '--range 1,-1: LO must be below HI'],
    [{ select: 20, frames: 10 }, '--select 20: the selection cannot exceed the frame count (--frames 10)'],
    [{ frames: 0 }, '--frames 0: expected a whole number of frames from 1 to'],
  ])('%j: a user error as a value', async (options, message) => {
    const f = failed(await importModel(MODEL, options));
    expect(f.exitStatus).toBe(1);
    expect(f.errors[0]!.message).toContain(message);
  });
});

describe('run', () => {
  test('an MP-SPDZ directory that does not exist: an environment error as a value (exit status 2)', async () => {
    const f = failed(await run('examples/tiny-2pc.ppvc', { mpSpdz: join(scratch, 'no-mp-spdz'), video: 'v.txt' }));
    expect(f.exitStatus).toBe(2);
    expect(f.errors[0]).toMatchObject({ kind: 'environment', message: `MP-SPDZ directory not found: ${join(scratch, 'no-mp-spdz')}` });
    expect(f.errors[0]!.text).toMatch(/^error: MP-SPDZ directory not found: .*\n {2}help: build MP-SPDZ 0\.4\.2 or newer/);
  });

  test('a bad timeout is refused before MP-SPDZ is looked for', async () => {
    const f = failed(await run('examples/tiny-2pc.ppvc', { timeoutSeconds: -5, mpSpdz: join(scratch, 'no-mp-spdz') }));
    expect(f.exitStatus).toBe(1);
    expect(f.errors[0]!.message).toBe('--timeout -5: expected a positive number of seconds, at most 2147483 (24 days)');
  });
});

describeUnless(noMpSpdzReason())('run under MP-SPDZ', () => {
  // tiny-2pc under a three-party protocol, renamed so that no other test's program of that name
  // is compiled over it in the shared MP-SPDZ tree
  const source = { path: join(ROOT, 'examples', 'api-tiny.ppvc'), text: readFileSync(join(ROOT, 'examples/tiny-2pc.ppvc'), 'utf8').replace('pipeline tiny_2pc', 'pipeline ppvc_api_tiny') };

  test('replicated-ring reveals the reference label (values given in memory)', async () => {
    const inputs = succeeded(await randomInputs(source, { seed: 2 }));
    const sim = succeeded(await simulate(source, { video: inputs.video, weights: inputs.weights }));
    // a clear winner: probabilistic truncation cannot turn it
    const sorted = [...sim.float!.aggregate].sort((x, y) => y - x);
    expect(sorted[0]! - sorted[1]!).toBeGreaterThan(1e-2);
    const r = succeeded(await run(source, { protocol: 'replicated-ring', video: inputs.video, weights: inputs.weights, outDir: join(scratch, 'run'), patchMpSpdz: true, timeoutSeconds: 600 }));
    expect(r.record.protocol).toBe('replicated-ring');
    expect(r.record.parties).toHaveLength(3);
    expect(r.label).toBe(String(sim.float!.label));
    expect(existsSync(join(scratch, 'run', 'ppvc_api_tiny.mpc'))).toBe(true);
  }, 300_000);
});

describe('the package and its example', () => {
  test("'ppvc-dsl' resolves to dist/api.js, with its declarations", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const types = readFileSync(join(ROOT, pkg.exports['.'].types), 'utf8');
    for (const fn of ['check', 'build', 'simulate', 'run', 'importModel', 'randomInputs']) expect(types).toContain(`export declare function ${fn}(`);
    const r = spawnSync('node', ['--input-type=module', '-e', "const api = await import('ppvc-dsl'); console.log(Object.keys(api).sort().join(' '))"], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('OPTIMIZATION_NAMES PROTOCOL_NAMES build check importModel randomInputs run simulate');
  });

  test('examples/sweep-precision.mjs prints one row per precision, a setting that does not fit as its error', () => {
    const r = spawnSync('node', ['examples/sweep-precision.mjs', '--precisions', '16:31,6:12,24:40'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('examples/emotion.ppvc: random weights and video (seed 1), float reference vs fixed point');
    expect(lines[1]!.trim().split(/\s{2,}/)).toEqual(['f', 'k', 'float', 'fixed', 'agree', 'largest diff', 'max |value|/limit']);
    const rows = lines.slice(2).map((l) => l.trim().split(/\s+/));
    expect(rows).toHaveLength(3);
    const [fine, coarse] = rows as [string[], string[]];
    expect(fine.slice(0, 2)).toEqual(['16', '31']);
    expect(fine[2]).toBe(fine[3]); // float label = fixed label at the pipeline's precision
    expect(fine[4]).toBe('yes');
    expect(Number(fine[5])).toBeLessThan(1e-3);
    expect(coarse[2]).toBe(fine[2]); // the float reference does not depend on the precision
    expect(Number(coarse[5])).toBeGreaterThan(10 * Number(fine[5]));
    expect(lines[4]).toMatch(/^\s+24\s+40\s+error: precision 24 40 does not fit a 64-bit ring/);
  }, 180_000);
});
