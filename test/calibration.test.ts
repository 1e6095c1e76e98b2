// The model owner's check in the clear (src/commands/calibration.ts): export-weights,
// random-weights and deploy simulate the weights on calibration videos (random ones in the
// declared range by default, or `--calibration FILE...`) and report whether the precision gives
// float's label; deploy refuses a precision that does not (unless --ignore-precheck) and records
// the calibration in the model owner's directory only. No MP-SPDZ needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, writeTiePipeline } from './helpers.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'ppvc-calibration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The tie pipeline (writeTiePipeline): `close` weights its precision cannot tell apart, `good` ones it can. */
const HOSTS = join(dir, 'hosts');
const { ppvc: TIE, video: VIDEO, close: CLOSE, good: GOOD } = writeTiePipeline(dir);
writeFileSync(HOSTS, '127.0.0.1\n127.0.0.1\n127.0.0.1\n');

describe('random-weights and export-weights report the calibration', () => {
  test('by default on two random videos in the declared range: the line, and `calibration` in --json', () => {
    const text = cli(['random-weights', join(ROOT, 'examples', 'emotion.ppvc'), '-o', 'w.txt']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^calibration: sfix\(31, 16\) in a 64-bit ring on 2 calibration videos: every layer in range, at least \d+\.\d significant bits, float's label on each \(\d, \d\) \(\d+\.\d s\)$/m);
    const json = cli(['random-weights', TIE, '-o', 'w.txt', '--json']);
    expect(json.status).toBe(0);
    const c = JSON.parse(json.stdout).calibration;
    expect(c).toMatchObject({ pipeline: 'tie', precision: { k: 20, f: 8, ringBits: 64, rounding: 'nearest' }, weights: 'random weights (seed 1)' });
    expect(c.videos.map((v: { source: string }) => v.source)).toEqual(['random video (seed 1)', 'random video (seed 2)']);
    expect(['ok', 'near-tie', 'refused']).toContain(c.verdict);
  }, 120_000);

  test('--calibration FILE uses the given videos; a precision that does not give float\'s label is a warning, the file is still written', () => {
    // random-weights' own weights on the tie pipeline: check them on the all-ones video
    const r = cli(['random-weights', TIE, '-o', 'w2.txt', '--calibration', VIDEO, '--json']);
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout).calibration;
    expect(c.videos).toHaveLength(1);
    expect(c.videos[0]).toMatchObject({ source: 'ones.txt', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(existsSync(join(dir, 'w2.txt'))).toBe(true);
  }, 60_000);

  test('--no-calibration skips it', () => {
    const r = cli(['random-weights', TIE, '-o', 'w3.txt', '--no-calibration', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).calibration).toBeUndefined();
    expect(cli(['random-weights', TIE, '-o', 'w3.txt', '--no-calibration']).stdout).not.toContain('calibration');
  }, 60_000);

  test('a calibration video of the wrong size is an error naming the file and the size expected', () => {
    const r = cli(['random-weights', TIE, '-o', 'w4.txt', '--calibration', CLOSE]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("close.txt: 8 values, but video 'v' [2, 1, 1, 1] has 2");
  }, 60_000);
});

describe('deploy calibrates the bundled weights', () => {
  test("refuses a precision that does not give float's label, naming it and a precision that does; writes nothing", () => {
    const out = join(dir, 'refused');
    const r = cli(['deploy', TIE, '--hosts', HOSTS, '--model-input', CLOSE, '--calibration', VIDEO, '-o', out]);
    expect(r.stderr).toContain("error: refused to write the bundle: calibration: sfix(20, 8) in a 64-bit ring on 1 calibration video: this precision does NOT give float's label");
    expect(r.stderr).toContain('ones.txt: float label 1, fixed-point label 0');
    expect(r.stderr).toContain('suggestion: precision 9 21 in the target statement');
    expect(r.stderr).toContain('--ignore-precheck');
    expect(r.status).toBe(1);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  test("--ignore-precheck writes it, with the record in the model owner's directory only (mode 0600)", () => {
    const out = join(dir, 'anyway');
    const r = cli(['deploy', TIE, '--hosts', HOSTS, '--model-input', CLOSE, '--calibration', VIDEO, '-o', out, '--ignore-precheck']);
    expect(r.stderr).toContain('warning: --ignore-precheck: writing the bundle although the calibration refuses its precision');
    expect(r.status).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'party-1', 'calibration.json'), 'utf8'));
    expect(record).toMatchObject({ verdict: 'refused', weights: 'close.txt', precision: { k: 20, f: 8 } });
    expect(record.videos[0].check).toMatchObject({ label: 0, floatLabel: 1, finding: { kind: 'label' } });
    expect(statSync(join(out, 'party-1', 'calibration.json')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(out, 'party-0', 'calibration.json'))).toBe(false);
    expect(existsSync(join(out, 'party-2', 'calibration.json'))).toBe(false);
  }, 60_000);

  test('weights that give float\'s label: the bundle records an ok calibration on the default random videos', () => {
    const out = join(dir, 'good');
    const r = cli(['deploy', TIE, '--hosts', HOSTS, '--model-input', GOOD, '-o', out, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).calibration).toMatchObject({ verdict: 'ok', weights: 'good.txt' });
    expect(JSON.parse(readFileSync(join(out, 'party-1', 'calibration.json'), 'utf8')).videos).toHaveLength(2);
  }, 60_000);

  test('without the weights nothing is calibrated, and says so; --calibration then asks for --model-input', () => {
    const r = cli(['deploy', TIE, '--hosts', HOSTS, '-o', join(dir, 'none'), '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).calibration).toEqual({ skipped: "the model owner's input is not bundled (--model-input), so the precision is not calibrated" });
    expect(existsSync(join(dir, 'none', 'party-1', 'calibration.json'))).toBe(false);
    const asked = cli(['deploy', TIE, '--hosts', HOSTS, '-o', join(dir, 'none2'), '--calibration', VIDEO]);
    expect(asked.status).toBe(1);
    expect(asked.stderr).toContain("--calibration needs the model owner's weights: give bob's input file with --model-input");
  }, 60_000);
});
