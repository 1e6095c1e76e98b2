// The command line as a user meets it: exit statuses, messages, and never a stack trace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
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

// ---- the printed MP-SPDZ steps work when pasted -------------------------------------------

/** A stand-in MP-SPDZ tree: ml.py holding the patch's context, scripts that leave a mark. */
function fakeMpSpdz(): string {
  const mp = mkdtempSync(join(tmpdir(), 'ppvc-fake-mp-'));
  mkdirSync(join(mp, 'Compiler'));
  mkdirSync(join(mp, 'Programs', 'Source'), { recursive: true });
  mkdirSync(join(mp, 'Scripts'));
  const patch = readFileSync(join(ROOT, 'golden', 'emotion', 'ml.py.patch'), 'utf8').split('\n');
  const context = patch.slice(patch.findIndex((l) => l.startsWith('@@')) + 1).filter((l) => l.startsWith(' ')).map((l) => l.slice(1));
  writeFileSync(join(mp, 'Compiler', 'ml.py'), ['# upstream', ...context, ''].join('\n'));
  writeFileSync(join(mp, 'Scripts', 'setup-ssl.sh'), '#!/bin/sh\necho "$@" > ssl-done\n', { mode: 0o755 });
  writeFileSync(join(mp, 'compile.py'), '#!/bin/sh\necho "$@" > compiled\n', { mode: 0o755 });
  return mp;
}

function expectPrepared(mp: string): void {
  expect(readFileSync(join(mp, 'Compiler', 'ml.py'), 'utf8')).toContain('# >>> ppvc-dsl helper relu_softmax');
  expect(readFileSync(join(mp, 'Programs', 'Source', 'emotion.mpc'), 'utf8')).toBe(readFileSync(join(ROOT, 'golden', 'emotion', 'emotion.mpc'), 'utf8'));
  expect(readFileSync(join(mp, 'ssl-done'), 'utf8')).toBe('3\n');
  expect(readFileSync(join(mp, 'compiled'), 'utf8')).toBe('-E ring -b 2000000 emotion\n');
}

test("build's printed steps work pasted as written, from any directory, into an output directory with a space", () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ppvc-cli-')), 'out dir');
  const r = run(['build', 'examples/emotion.ppvc', '-o', out], { PPVC_DSL_CACHE: mkdtempSync(join(tmpdir(), 'ppvc-cache-')) });
  expect(r.status).toBe(0);
  const lines = r.stdout.split('\n');
  const first = lines.findIndex((l) => l.startsWith('MP-SPDZ not configured'));
  const commands = lines.slice(first + 1, lines.findIndex((l, i) => i > first && !l.startsWith('  '))).map((l) => l.slice(2));
  expect(commands[0]).toBe(`patch -d "$MP_SPDZ_HOME" -p1 --forward --batch --reject-file=- --no-backup-if-mismatch < '${out}/ml.py.patch'`);
  expect(commands).toContain(`cd "$MP_SPDZ_HOME"`);
  expect(r.stdout).toContain(`(layout: ${out}/inputs.json)`);
  const mp = fakeMpSpdz();
  const elsewhere = mkdtempSync(join(tmpdir(), 'ppvc-cwd-'));
  execFileSync('bash', ['-e', '-c', commands.join('\n')], { cwd: elsewhere, env: { ...process.env, MP_SPDZ_HOME: mp }, stdio: 'pipe' });
  expectPrepared(mp);
  // pasted again: the patch is not applied twice, and no question waits for an answer
  const ml = readFileSync(join(mp, 'Compiler', 'ml.py'), 'utf8');
  const again = spawnSync('bash', ['-c', commands[0]!], { cwd: elsewhere, env: { ...process.env, MP_SPDZ_HOME: mp }, encoding: 'utf8', timeout: 10_000 });
  expect(again.stdout).toContain('previously applied');
  expect(readFileSync(join(mp, 'Compiler', 'ml.py'), 'utf8')).toBe(ml);
  expect(readdirSync(join(mp, 'Compiler'))).toEqual(['ml.py']);
});

test('commands.json names no machine path: its steps run from the output directory, as it says', () => {
  const out = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  expect(run(['build', 'examples/emotion.ppvc', '-o', out], { PPVC_DSL_CACHE: mkdtempSync(join(tmpdir(), 'ppvc-cache-')) }).status).toBe(0);
  const text = readFileSync(join(out, 'commands.json'), 'utf8');
  expect(text).not.toContain(out);
  const c = JSON.parse(text);
  expect(c.directories).toContain("the steps start in build's output directory");
  const mp = fakeMpSpdz();
  execFileSync('bash', ['-e', '-c', [...c.steps, c.compile].join('\n')], { cwd: out, env: { ...process.env, MP_SPDZ_HOME: mp }, stdio: 'pipe' });
  expectPrepared(mp);
});

// ---- import: the video's range, the layer counts ----------------------------------------

const HUMAN_EMOTION = 'node_modules/@vladmandic/human/models/emotion.json';

test('import writes --range on the video line; without it, the default range with a comment to check it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const given = run(['import', HUMAN_EMOTION, '--range', '-1,1', '-o', join(dir, 'a.ppvc')]);
  expect(given.status).toBe(0);
  const a = readFileSync(join(dir, 'a.ppvc'), 'utf8').split('\n');
  expect(a).toContain('video frames: [97, 64, 64, 1] from alice  range [-1, 1]');
  expect(given.stderr).not.toContain("ppvc-dsl's default");

  const dflt = run(['import', HUMAN_EMOTION, '-o', join(dir, 'b.ppvc')]);
  expect(dflt.status).toBe(0);
  const b = readFileSync(join(dir, 'b.ppvc'), 'utf8').split('\n');
  const video = b.indexOf('video frames: [97, 64, 64, 1] from alice  range [0, 1]');
  expect(video).toBeGreaterThan(0);
  expect(b.slice(video - 3, video).join('\n')).toMatch(/^# range \[0, 1\] is ppvc-dsl's default, not read from the model file: check it against the model's\n# training preprocessing .*expects \[-1, 1\]/);
  expect(dflt.stderr).toContain("note: the video's range [0, 1] is ppvc-dsl's default");
  // both are canonical (fmt leaves them alone) and check
  expect(run(['fmt', '--check', join(dir, 'a.ppvc'), join(dir, 'b.ppvc')]).status).toBe(0);
  expect(run(['check', join(dir, 'a.ppvc')]).status).toBe(0);

  for (const bad of ['1,0', '0', 'a,b', '0,1,2']) {
    const r = run(['import', HUMAN_EMOTION, '--range', bad]);
    expect([bad, r.status]).toEqual([bad, 1]);
    expect(r.stderr).toContain(`--range ${bad}:`);
  }
});

test("import and check give the same layer count for the Human emotion model, or say why not", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const imported = run(['import', HUMAN_EMOTION, '-o', join(dir, 'e.ppvc')]);
  expect(imported.stderr).toContain(
    "the model file's 21 layers become 19 ppvc-dsl layers (not written: the input layer input_1 (the video's frames); the final softmax predictions/Softmax ('classify' chooses the per-frame output)); 205127 parameters",
  );
  expect(run(['check', join(dir, 'e.ppvc')]).stdout).toContain(', 19 layers, 205127 parameters,');
  expect(JSON.parse(run(['import', HUMAN_EMOTION, '--json']).stdout)).toMatchObject({ ok: true, layerCount: expect.stringContaining('21 layers become 19'), pipelineParameters: 205127 });
});

test('a graph model without its weight shard names the missing file, where it was looked for and why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  writeFileSync(join(dir, 'emotion.json'), readFileSync(join(ROOT, HUMAN_EMOTION)));
  const r = run(['import', join(dir, 'emotion.json')]);
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`weight shard 'emotion.bin' is missing: the model's weightsManifest names it, so it must be at ${join(dir, 'emotion.bin')}, beside the model file`);
  expect(r.stderr).toContain('help: put the shard there');
  expect(r.stderr).not.toContain('importModelFile');
});

test('a bound suggestion for a pipeline without a target statement gives the statement to add, and it checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const text = readFileSync(join(ROOT, 'examples', 'tiny-2pc.ppvc'), 'utf8').replace(/^target .*$/m, '');
  writeFileSync(join(dir, 't.ppvc'), text);
  const r = run(['random-weights', join(dir, 't.ppvc'), '-o', join(dir, 'w.txt')]);
  expect(r.status).toBe(0);
  expect(r.stdout).not.toContain('in the target statement');
  const m = /in a target statement, which the pipeline lacks: add the line '(target mp-spdz \{ [^}]+ \})' at its end/.exec(r.stdout);
  expect(m).not.toBeNull();
  writeFileSync(join(dir, 't.ppvc'), text + m![1] + '\n');
  const again = run(['random-weights', join(dir, 't.ppvc'), '-o', join(dir, 'w.txt')]);
  expect(again.status).toBe(0);
  expect(again.stdout).not.toContain('narrower comparisons');
});

test("random-weights --video-out: the video owner's file, a random video in the declared range; refused when one party owns both", () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const r = run(['random-weights', 'examples/tiny-2pc.ppvc', '-o', join(dir, 'w.txt'), '--video-out', join(dir, 'v.txt')]);
  expect(r.status).toBe(0);
  const video = readFileSync(join(dir, 'v.txt'), 'utf8').trim().split('\n').map(Number);
  expect(run(['build', 'examples/tiny-2pc.ppvc', '-o', join(dir, 'out')]).status).toBe(0);
  const plan = JSON.parse(readFileSync(join(dir, 'out', 'inputs.json'), 'utf8')) as { parties: { party: number; elements: number }[] };
  expect(video.length).toBe(plan.parties.find((p) => p.party === 0)!.elements);
  expect(video.every((v) => v >= 0 && v <= 1)).toBe(true);
  expect(new Set(video).size).toBeGreaterThan(video.length / 2);
  expect(r.stdout).toContain(`wrote ${video.length} values for party 0 (a random video in [0, 1]) to ${join(dir, 'v.txt')}`);
  const both = readFileSync(join(ROOT, 'examples', 'tiny-2pc.ppvc'), 'utf8').replace(/model (\w+) by bob/, 'model $1 by alice').replace('frames by bob', 'frames by alice');
  writeFileSync(join(dir, 'both.ppvc'), both);
  const refused = run(['random-weights', join(dir, 'both.ppvc'), '-o', join(dir, 'w2.txt'), '--video-out', join(dir, 'v2.txt')]);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('--video-out: alice owns both the video and the model');
});

// ---- --json: results of every command, and failures as JSON ---------------------------

test('export-weights, random-weights and diagrams give a JSON result with --json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  writeFileSync(join(dir, 'h.ppvc'), [
    'pipeline h', 'party alice = 0', 'party bob = 1', 'video frames: [4, 64, 64, 1] from alice  range [-1, 1]', 'select 2 frames by bob',
    `model net by bob from "${join(ROOT, HUMAN_EMOTION)}"`, 'classify each frame with net', '',
  ].join('\n'));
  const ew = run(['export-weights', join(dir, 'h.ppvc'), '-o', join(dir, 'bob.txt'), '--frames', '0,3', '--json']);
  expect(ew.status).toBe(0);
  const e = JSON.parse(ew.stdout);
  expect(e).toMatchObject({ ok: true, out: join(dir, 'bob.txt'), values: 2 * 4 + 205127, party: 1, model: join(ROOT, HUMAN_EMOTION) });
  expect(e.bounds.length).toBeGreaterThan(0);
  expect(e.bounds[0]).toEqual({ layer: expect.any(String), bound: expect.any(Number), bits: expect.any(Number) });

  const rw = run(['random-weights', 'examples/tiny-2pc.ppvc', '-o', join(dir, 'r.txt'), '--seed', '3', '--json']);
  expect(rw.status).toBe(0);
  expect(JSON.parse(rw.stdout)).toMatchObject({ ok: true, out: join(dir, 'r.txt'), party: 1, seed: 3, values: readFileSync(join(dir, 'r.txt'), 'utf8').trim().split(/\s+/).length });

  const d = run(['diagrams', '-o', join(dir, 'd.html'), '--json']);
  expect(d.status).toBe(0);
  expect(JSON.parse(d.stdout)).toEqual({ ok: true, out: join(dir, 'd.html') });
});

test.each([
  [['check', 'no/such/file.ppvc', '--json'], 1, 'user', 'no/such/file.ppvc: no such file'],
  [['frobnicate', '--json'], 1, 'user', 'Unknown argument: frobnicate'],
  [['import', HUMAN_EMOTION, '--range', '1,0', '--json'], 1, 'user', '--range 1,0: LO must be below HI'],
  [['random-weights', 'examples/tiny-2pc.ppvc', '-o', join(tmpdir(), 'x.txt'), '--seed', '-1', '--json'], 1, 'user', '--seed -1'],
  [['build', 'examples/emotion.ppvc', '--mp-spdz', '/nonexistent/mp-spdz', '-o', join(tmpdir(), 'ppvc-x'), '--json'], 2, 'environment', 'MP-SPDZ directory not found'],
])('ppvc-dsl %j fails with exit status %i and {ok: false, error} on stdout', (args, status, kind, message) => {
  const r = run(args as string[]);
  expect(r.status).toBe(status);
  const j = JSON.parse(r.stdout);
  expect(j.ok).toBe(false);
  expect(j.error).toMatchObject({ kind, exitStatus: status, message: expect.stringContaining(message) });
  if (kind === 'user') expect(j.error.diagnostics[0].message).toContain(message);
  else expect(j.error.hints.length).toBeGreaterThan(0);
});

// one failure of each command: a command added without --json support, or left out here, fails
const FAILING_WITH_JSON: Record<string, string[]> = {
  check: ['check', 'no/such/file.ppvc'],
  build: ['build', 'no/such/file.ppvc'],
  run: ['run', 'no/such/file.ppvc', '--timeout', '-1'],
  import: ['import', 'no/such/model.json'],
  'export-weights': ['export-weights', 'no/such/file.ppvc', '-o', join(tmpdir(), 'never.txt')],
  deploy: ['deploy', 'no/such/file.ppvc', '--hosts', 'no/such/hosts'],
  'random-weights': ['random-weights', 'no/such/file.ppvc', '-o', join(tmpdir(), 'never.txt')],
  audit: ['audit', 'no/such/file.ppvc'],
  diagrams: ['diagrams', '-o', '/proc/never.html'],
  fmt: ['fmt', 'no/such/file.ppvc'],
  report: ['report', 'no/such/results.jsonl'],
  simulate: ['simulate', 'no/such/file.ppvc', '--video', 'v.txt', '--weights', 'w.txt'],
  'prepare-video': ['prepare-video', 'no/such/video.mp4', '--pipeline', 'no/such/file.ppvc', '-o', join(tmpdir(), 'never.txt')],
  'setup-mp-spdz': ['setup-mp-spdz', '--source', 'no/such/mp-spdz'],
};

test('every command reports a failure as {ok: false, error} with --json', () => {
  const commands = [...run(['--help']).stdout.matchAll(/^ {2}ppvc-dsl ([a-z-]+)/gm)].map((m) => m[1]!);
  expect(commands.sort()).toEqual(Object.keys(FAILING_WITH_JSON).sort());
  for (const [command, args] of Object.entries(FAILING_WITH_JSON)) {
    const r = run([...args, '--json']);
    expect({ command, status: r.status }).toEqual({ command, status: 1 });
    expect({ command, json: JSON.parse(r.stdout) }).toMatchObject({ command, json: { ok: false, error: { kind: 'user', exitStatus: 1, message: expect.any(String) } } });
  }
});

test('a pipeline error with --json is {ok: false, error} too, with each diagnostic located', () => {
  const r = run(['export-weights', 'test/should-fail/misspelt-keyword.ppvc', '-o', join(tmpdir(), 'never.txt'), '--json']);
  expect(r.status).toBe(1);
  const j = JSON.parse(r.stdout);
  expect(j.ok).toBe(false);
  expect(j.error.diagnostics).toEqual([expect.objectContaining({ message: "conv2d: unknown argument 'kernal': did you mean 'kernel'?", line: 8, col: 12 })]);
});

test("check says what the program reveals: the opened values, the protocol's security model, what is public, and the truncation caveat", () => {
  const r = run(['check', 'examples/emotion.ppvc']);
  expect(r.status).toBe(0);
  // the paragraphs are wrapped: continuation lines are indented by four spaces
  const text = r.stdout.replace(/\n {4}/g, ' ');
  expect(text).toContain('\n  opened: label -> alice (party 0); nothing else is opened\n');
  expect(text).toContain(
    '\n  security: replicated-ring: 3 parties, semi-honest, honest majority; secure while at most one party is corrupted and follows the protocol: any two parties together hold every secret, so no two may collude\n',
  );
  expect(text).toContain(
    "\n  public: the protocol (replicated-ring, 3 parties), ring 64 and precision 16 31; the video's shape [97, 48, 48, 1] and range [0, 1]; the number of frames selected (7; which ones only bob knows); the model's layer stack and every shape (17 layers, 1485831 parameters; not the weights);",
  );
  expect(text).toContain("\n  caveat: products are truncated probabilistically (the protocol's one-round trunc_pr): each is rounded down or up at random");
  expect(text).toContain('(eprint 2024/1127). Only the label is opened');
  expect(text).not.toContain('rounding: products are rounded to nearest');
  // sy-rep-ring rounds to nearest by default: no caveat
  const sy = run(['check', 'examples/emotion.ppvc', '--protocol', 'sy-rep-ring']).stdout.replace(/\n {4}/g, ' ');
  expect(sy).toContain('\n  security: sy-rep-ring: 3 parties, malicious, honest majority; secure against one party that deviates arbitrarily');
  expect(sy).toContain('\n  rounding: products are rounded to nearest deterministically (trunc nearest, sfix.round_nearest): the opened values are a deterministic function of the inputs');
  expect(sy).not.toContain('caveat:');
});

test("each protocol's default truncation (docs/security.md): nearest where it costs a few percent, else probabilistic with the caveat; `trunc` in the target wins", () => {
  const expected = { semi2k: 'nearest', spdz2k: 'probabilistic', 'dealer-ring': 'nearest', 'replicated-ring': 'probabilistic', 'sy-rep-ring': 'nearest', 'rep4-ring': 'probabilistic', emulate: 'probabilistic' };
  for (const [protocol, truncation] of Object.entries(expected)) {
    const j = JSON.parse(run(['check', 'examples/emotion.ppvc', '--protocol', protocol, '--json']).stdout);
    expect([protocol, j.pipeline.target.truncation]).toEqual([protocol, truncation]);
    expect([protocol, j.disclosure.truncation, j.disclosure.caveat === undefined]).toEqual([protocol, truncation, truncation === 'nearest']);
  }
  const dir = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  const text = readFileSync(join(ROOT, 'examples', 'emotion.ppvc'), 'utf8');
  writeFileSync(join(dir, 'p.ppvc'), text.replace('precision 16 31 }', 'precision 16 31  trunc probabilistic }'));
  writeFileSync(join(dir, 'n.ppvc'), text.replace('precision 16 31 }', 'precision 16 31  trunc nearest }'));
  expect(JSON.parse(run(['check', join(dir, 'p.ppvc'), '--protocol', 'sy-rep-ring', '--json']).stdout).pipeline.target.truncation).toBe('probabilistic');
  expect(JSON.parse(run(['check', join(dir, 'n.ppvc'), '--json']).stdout).pipeline.target.truncation).toBe('nearest');
  // the generated program follows the default: sy-rep-ring rounds to nearest, so compile.py has no truncation warning to explain
  const out = mkdtempSync(join(tmpdir(), 'ppvc-cli-'));
  expect(run(['build', 'examples/emotion.ppvc', '--protocol', 'sy-rep-ring', '-o', out]).status).toBe(0);
  const program = readFileSync(join(out, 'emotion.mpc'), 'utf8');
  expect(program).toContain('sfix.round_nearest = True\nprogram.use_trunc_pr = False\n');
  expect(program).not.toContain('Probabilistic truncation leaks');
});
