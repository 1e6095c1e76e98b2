// `run --local` simulates in the clear before any party starts (src/commands/precheck.ts): a
// precision that overflows a layer or loses the signal is refused (exit 1) naming the layer and
// a precision that fits, before anything is written or compiled; --ignore-precheck (the API's
// `ignorePrecheck`) runs anyway with the finding as a warning; a run that passes prints the
// check's line and records it. The refusals need no MP-SPDZ build (a fake tree with the party
// binary's name passes the checks that come first); the run anyway needs one and skips, saying
// so, without it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, describeUnless, mpSpdzHome, noMpSpdzReason, writeTiePipeline } from './helpers.js';
import { run, type Failure, type Result } from '../src/api.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'ppvc-precheck-'));
/**
 * A fake MP-SPDZ tree: what run looks at before the check in the clear (the tree, its version,
 * the party binary's name) and nothing that could compile or run a program.
 */
const FAKE = join(dir, 'fake-mp-spdz');
mkdirSync(join(FAKE, 'Compiler'), { recursive: true });
writeFileSync(join(FAKE, 'compile.py'), 'raise SystemExit("fake compile.py: the test expected no compile")\n');
writeFileSync(join(FAKE, 'Compiler', 'ml.py'), '# upstream\n');
writeFileSync(join(FAKE, 'CHANGELOG.md'), '## 0.4.2 (Dec 24, 2025)\n');
writeFileSync(join(FAKE, 'replicated-ring-party.x'), '');
const NONE = { MP_SPDZ_HOME: FAKE, PPVC_DSL_CACHE: join(dir, 'no-cache') };
/** Past the check, the fake tree stops the run: its ml.py lacks the helpers. */
const PAST_CHECK = /Compiler\/ml.py lacks the helpers this program needs/;
const emotion = readFileSync(join(ROOT, 'examples', 'emotion.ppvc'), 'utf8');
/** The emotion example at another precision (its name too: the MP-SPDZ tree keeps one program per name). */
function emotionAt(precision: string, name: string): string {
  const path = join(dir, `${name}.ppvc`);
  writeFileSync(path, emotion.replace('precision 16 31', `precision ${precision}`).replace(/^pipeline \w+/m, `pipeline ${name}`));
  return path;
}

/** The failure of an API result; a success fails the test. */
function failed<T extends object>(r: Result<T>): Failure {
  if (r.ok) throw new Error('expected a failure, got a success');
  return r;
}

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const inputs = ['--video-input', join(dir, 'alice.txt'), '--model-input', join(dir, 'bob.txt')];
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} was not built`);
  const r = cli(['random-weights', join(ROOT, 'examples', 'emotion.ppvc'), '--frames', 'every:15', '-o', 'bob.txt', '--video-out', 'alice.txt']);
  expect(r.status).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the check in the clear before any party starts (no MP-SPDZ build needed)', () => {
  test('a pipeline that overflows is refused, naming the layer and a precision that fits', () => {
    // 3 integer bits: the aggregate of 7 frames' probabilities reaches about 4.5
    const r = cli(['run', emotionAt('16 19', 'pc_over'), ...inputs, '-o', join(dir, 'out-over')], NONE);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error: refused before any party started: the check in the clear found an overflow at 'aggregate' (sum)");
    expect(r.stderr).toContain('suggestion: precision 16 22 in the target statement');
    expect(r.stderr).toContain('--ignore-precheck');
    // refused before anything is written or compiled
    expect(r.stderr).not.toContain('fake compile.py');
    expect(existsSync(join(dir, 'out-over'))).toBe(false);
  }, 120_000);

  test('a pipeline that loses the signal is refused, naming the layer and a re-simulated precision', () => {
    const r = cli(['run', emotionAt('3 20', 'pc_lost'), ...inputs, '-o', join(dir, 'out-lost')], NONE);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the check in the clear found the signal lost at '\w+': its fixed-point values keep \d\.\d significant bits/);
    expect(r.stderr).toMatch(/suggestion: precision \d+ \d+ in the target statement .*: re-simulated: every layer keeps at least/);
    expect(existsSync(join(dir, 'out-lost'))).toBe(false);
  }, 120_000);

  test('a pipeline that passes prints the check line, then goes on to compile', () => {
    const r = cli(['run', join(ROOT, 'examples', 'emotion.ppvc'), ...inputs, '-o', join(dir, 'out-ok')], NONE);
    expect(r.stderr).toMatch(/^checked in the clear first: float and fixed-point label \d, every layer in range and keeping at least \d+\.\d significant bits \(\d+\.\d s\)$/m);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(PAST_CHECK);
  }, 120_000);

  test('a label that differs by more than the emulation error is refused, with a precision re-simulated to float\'s label', () => {
    // float says class 1, the fixed point ties and argmax takes class 0 (writeTiePipeline)
    const tie = writeTiePipeline(dir);
    const r = cli(['run', tie.ppvc, '--video-input', tie.video, '--model-input', tie.close, '-o', join(dir, 'out-tie')], NONE);
    expect(r.stderr).toContain('error: refused before any party started: the check in the clear found float label 1, fixed-point label 0');
    expect(r.stderr).toMatch(/float's top two classes differ by 7\.03e-3, more than the emulation's error 3\.52e-3 on any class/);
    expect(r.stderr).toContain('suggestion: precision 9 21 in the target statement (1 more fractional bits');
    expect(r.stderr).toContain('re-simulated, label 1 (= float)');
    expect(r.status).toBe(1);
    expect(existsSync(join(dir, 'out-tie'))).toBe(false);
  }, 120_000);

  test('--ignore-precheck goes on to compile, warning of what the check found', () => {
    const r = cli(['run', emotionAt('16 19', 'pc_over'), ...inputs, '-o', join(dir, 'out-over'), '--ignore-precheck'], NONE);
    expect(r.stderr).toContain("warning: --ignore-precheck: running although the check in the clear found an overflow at 'aggregate' (sum)");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(PAST_CHECK);
  }, 120_000);

  test('the typed API refuses as the command does; ignorePrecheck goes on with the finding as a warning', async () => {
    const path = emotionAt('16 19', 'pc_over');
    const o = { video: join(dir, 'alice.txt'), weights: join(dir, 'bob.txt'), mpSpdz: FAKE };
    const refused = failed(await run(path, o));
    expect(refused.exitStatus).toBe(1);
    expect(refused.errors[0]!.message).toContain("overflow at 'aggregate'");
    expect(refused.errors[0]!.hints.join('\n')).toContain('precision 16 22');
    const anyway = failed(await run(path, { ...o, ignorePrecheck: true }));
    expect(anyway.exitStatus).toBe(2); // on to compile, which the fake tree stops
    expect(anyway.warnings.map((w) => w.message).join('\n')).toContain("--ignore-precheck: running although the check in the clear found an overflow at 'aggregate'");
  }, 120_000);
});

describeUnless(noMpSpdzReason())('--ignore-precheck under MP-SPDZ', () => {
  test('runs the parties anyway and records what the check found', () => {
    const out = join(dir, 'out-anyway');
    const r = cli(['run', emotionAt('16 19', 'pc_anyway'), ...inputs, '-o', out, '--ignore-precheck', '--patch-mp-spdz', '--json'], { MP_SPDZ_HOME: mpSpdzHome()! });
    expect(r.stderr).toContain('warning: --ignore-precheck: running although');
    expect(r.status).toBe(0);
    const record = JSON.parse(r.stdout);
    expect(record.parties).toHaveLength(3);
    expect(record.precheck).toMatchObject({ ignored: true, finding: { kind: 'overflow', layer: 'aggregate' } });
  }, 600_000);
});
