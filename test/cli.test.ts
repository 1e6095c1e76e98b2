// The command line as a user meets it: exit statuses, messages, and never a stack trace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT } from './helpers.js';

// The CLI as users run it: dist/, which `npm test` builds before running the suite.
function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('node', [join(ROOT, 'dist', 'cli.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    // no MP-SPDZ unless a test names one: neither MP_SPDZ_HOME nor a setup-mp-spdz build
    env: { ...process.env, MP_SPDZ_HOME: '', PPVC_DSL_CACHE: join(tmpdir(), 'ppvc-cli-no-mp-spdz-cache'), ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStackTrace = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

test('build without MP-SPDZ writes the files and prints the commands it would run', () => {
  const out = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const r = run(['build', 'examples/emotion.ppvc', '-o', out]);
  expect(r.status).toBe(0);
  expect(readdirSync(out).sort()).toEqual(['commands.json', 'emotion.mpc', 'inputs.json', 'ml.py.patch']);
  expect(r.stdout).toContain('MP-SPDZ not configured');
  expect(r.stdout).toContain('./compile.py -E ring -b 2000000 emotion');
  expect(r.stdout).toContain('./replicated-ring-party.x -p 2');
  expect(readFileSync(join(out, 'emotion.mpc'), 'utf8')).toBe(readFileSync(join(ROOT, 'golden', 'emotion', 'emotion.mpc'), 'utf8'));
});

test('--protocol overrides the target', () => {
  const out = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const r = run(['build', 'examples/emotion.ppvc', '-o', out, '--protocol', 'spdz2k', '--json']);
  expect(r.status).toBe(0);
  const j = JSON.parse(r.stdout);
  expect(j.commands.compile).toBe('./compile.py -E spdz2k -b 2000000 emotion');
  expect(j.commands.runParties[1].command).toContain('./spdz2k-party.x -p 1 -N 2');
});

test('check --json reports the pipeline', () => {
  const r = run(['check', 'examples/emotion.ppvc', '--json']);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout).pipeline.parameters).toBe(1_485_831);
});

test('a user error exits 1 with file:line:col and no output files', () => {
  const out = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const r = run(['build', 'test/should-fail/unknown-layer.ppvc', '-o', join(out, 'x')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("test/should-fail/unknown-layer.ppvc:8:3: error: unknown layer 'conv3d'");
  expect(readdirSync(out)).toEqual([]);
  noStackTrace(r.stderr);
});

test.each([
  [['check', 'no/such/file.ppvc'], 1, 'no such file'],
  [['check', 'examples'], 1, 'is a directory'],
  [['check', 'package-lock.json', '--protocol', 'nope'], 1, 'Invalid values'],
  [['frobnicate'], 1, 'Unknown argument'],
  [['build', 'examples/emotion.ppvc', '--mp-spdz', '/nonexistent/mp-spdz', '-o', join(tmpdir(), 'ppvc-x')], 2, 'MP-SPDZ directory not found'],
])('ppvc-dsl %j exits %i with a clear message', (args, status, message) => {
  const r = run(args as string[]);
  expect(r.status).toBe(status);
  expect(r.stderr).toContain(message);
  noStackTrace(r.stderr);
});

test('a binary file is refused clearly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  writeFileSync(join(dir, 'b.ppvc'), Buffer.from([0, 1, 2, 3, 255]));
  const r = run(['check', join(dir, 'b.ppvc')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('is not a text file');
});

// A device never ends and a FIFO blocks: each would hang the command (fuzzing found /dev/zero).
test('a file that is not a regular file is refused, not read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  execFileSync('mkfifo', [join(dir, 'fifo.ppvc')]);
  const pipeline = 'pipeline p\nparty a = 0\nparty b = 1\nvideo v: [2, 4, 4, 1] from a\nselect 1 frames by b\nmodel m by b from "/dev/zero"\n';
  writeFileSync(join(dir, 'm.ppvc'), pipeline);
  for (const args of [['check', '/dev/zero'], ['fmt', '/dev/zero'], ['import', '/dev/zero'], ['check', join(dir, 'fifo.ppvc')], ['check', join(dir, 'm.ppvc')]]) {
    const r = spawnSync('node', [join(ROOT, 'dist', 'cli.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
    expect([args, r.status]).toEqual([args, 1]);
    expect(r.stderr).toMatch(/(\/dev\/zero|fifo\.ppvc): not a regular file/);
  }
});

test('an MP-SPDZ tree without the helpers gets instructions, exit 2', () => {
  const fake = mkdtempSync(join(tmpdir(), 'ppvc-fake-mp-'));
  execFileSync('mkdir', ['-p', join(fake, 'Compiler')]);
  writeFileSync(join(fake, 'compile.py'), '');
  writeFileSync(join(fake, 'Compiler', 'ml.py'), '# upstream\n');
  writeFileSync(join(fake, 'CHANGELOG.md'), '## 0.4.2 (Dec 24, 2025)\n');
  const r = run(['build', 'examples/emotion.ppvc', '-o', join(fake, 'out')], { MP_SPDZ_HOME: fake });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("Compiler/ml.py lacks the helpers this program needs");
  expect(r.stderr).toContain('patch -p1 <');
  noStackTrace(r.stderr);
});


test('a symbolic link that loops or points at nothing is named as such, not as a missing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  symlinkSync(join(dir, 'b.ppvc'), join(dir, 'a.ppvc'));
  symlinkSync(join(dir, 'a.ppvc'), join(dir, 'b.ppvc'));
  symlinkSync(join(dir, 'gone.ppvc'), join(dir, 'dangling.ppvc'));
  const loop = run(['check', join(dir, 'a.ppvc')]);
  expect([loop.status, loop.stderr.trim()]).toEqual([1, `error: ${join(dir, 'a.ppvc')}: is a symbolic link that loops (through itself or other links)`]);
  const dangling = run(['check', join(dir, 'dangling.ppvc')]);
  expect([dangling.status, dangling.stderr.trim()]).toEqual([1, `error: ${join(dir, 'dangling.ppvc')}: is a symbolic link to ${join(dir, 'gone.ppvc')}, which does not exist`]);
  // an input file of run: read before anything runs
  const input = run(['run', 'examples/emotion.ppvc', '--video-input', join(dir, 'a.ppvc'), '--model-input', join(dir, 'a.ppvc'), '--mp-spdz', ROOT, '-o', join(dir, 'out')]);
  expect(input.status).not.toBe(0);
  noStackTrace(input.stderr);
});
