// `ppvc-dsl run` when things go wrong: MP-SPDZ not configured, a party binary missing, the
// user interrupting a run, a party dying mid-run. The first two run always (no MP-SPDZ
// needed); the others need MP_SPDZ_HOME (a built tree) and skip, saying so, without it.
// NOTE: the MP-SPDZ runs write Programs/Source/ppvc_runtest_long.* (and its bytecode) into
// that tree and add the helpers to its Compiler/ml.py (--patch-mp-spdz), like test/mp-spdz.test.ts.
import { jest } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, describeUnless, mpSpdzHome, noMpSpdzReason, testUnless } from './helpers.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import { PROTOCOLS, type ProtocolName } from '../src/target/protocols.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import { formatValues } from '../src/inputs/text-format.js';

const CLI = join(ROOT, 'dist', 'cli.js');

// The CLI as users run it.
beforeAll(() => {
  // dist/ is built by `npm test` before the suite runs (building here would race other suites)
  if (!existsSync(CLI)) throw new Error(`${CLI} was not built`);
}, 180_000);

/** An empty cache: no MP-SPDZ that setup-mp-spdz built is found (with MP_SPDZ_HOME: '', none at all). */
const NO_CACHE = { PPVC_DSL_CACHE: mkdtempSync(join(tmpdir(), 'ppvc-run-nocache-')) };
afterAll(() => rmSync(NO_CACHE.PPVC_DSL_CACHE, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const started = Date.now();
  const r = spawnSync('node', [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

const noStackTrace = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

/** A directory that passes for an MP-SPDZ 0.4.2 tree but has no party binaries. */
function fakeTree(): string {
  const fake = mkdtempSync(join(tmpdir(), 'ppvc-run-fake-'));
  mkdirSync(join(fake, 'Compiler'));
  writeFileSync(join(fake, 'compile.py'), '');
  writeFileSync(join(fake, 'Compiler', 'ml.py'), '# upstream\n');
  writeFileSync(join(fake, 'CHANGELOG.md'), '## 0.4.2 (Dec 24, 2025)\n');
  return fake;
}

describe('run without a usable MP-SPDZ', () => {
  test('without MP-SPDZ configured it fails at once, exit 2, saying what to do', () => {
    const r = cli(['run', 'examples/small-maxpool.ppvc', '--video-input', 'nonexistent.txt'], { MP_SPDZ_HOME: '', ...NO_CACHE });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: run needs MP-SPDZ: none configured');
    expect(r.stderr).toContain('help: build MP-SPDZ 0.4.2 or newer with `ppvc-dsl setup-mp-spdz --source DIR`');
    expect(r.stdout).toBe('');
    expect(r.seconds).toBeLessThan(15);
    noStackTrace(r.stderr);
  });

  test.each([
    ['-5', 'error: --timeout -5: expected a positive number of seconds, at most 2147483 (24 days)'],
    ['3000000', 'error: --timeout 3000000: expected a positive number of seconds, at most 2147483 (24 days)'],
    ['Infinity', 'error: --timeout: expected a number'],
  ])('a bad --timeout (%s) is reported before MP-SPDZ is looked for', (t, message) => {
    const r = cli(['run', 'examples/small-maxpool.ppvc', '--timeout', t], { MP_SPDZ_HOME: '', ...NO_CACHE });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('needs MP-SPDZ');
    noStackTrace(r.stderr);
  });

  test('an MP-SPDZ directory that does not exist: exit 2', () => {
    const r = cli(['run', 'examples/small-maxpool.ppvc', '--mp-spdz', '/nonexistent/mp-spdz'], { MP_SPDZ_HOME: '', ...NO_CACHE });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('MP-SPDZ directory not found: /nonexistent/mp-spdz');
    noStackTrace(r.stderr);
  });

  test.each(['replicated-ring', 'semi2k', 'rep4-ring'] as ProtocolName[])('a tree without the %s party binary: the message names it, exit 2', (protocol) => {
    const fake = fakeTree();
    const r = cli(['run', 'examples/small-maxpool.ppvc', '--protocol', protocol, '--mp-spdz', fake, '-o', join(fake, 'out')], { MP_SPDZ_HOME: '', ...NO_CACHE });
    rmSync(fake, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${PROTOCOLS[protocol].binary} is missing in ${fake}`);
    expect(r.stderr).toContain(`make ${PROTOCOLS[protocol].binary}`);
    noStackTrace(r.stderr);
  });
});

// ---- with MP-SPDZ --------------------------------------------------------------------------

const home = mpSpdzHome();
const describeMp = describeUnless(noMpSpdzReason());

/** The paper's pipeline under another name: it runs for several seconds (seed style), and its processes are ours. */
const NAME = 'ppvc_runtest_long';

function partyProcesses(): { pid: number; party: number }[] {
  const r = spawnSync('pgrep', ['-af', `party\\.x [0-9]+ ${NAME} `], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [pid, , party] = l.split(' ');
      return { pid: Number(pid), party: Number(party) };
    });
}

async function until(what: string, cond: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Spawned {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

describeMp('run with MP-SPDZ', () => {
  jest.setTimeout(600_000);
  let dir: string;
  let runArgs: string[];
  let ppvc: string;
  let baseline = 0;
  const started: Spawned[] = [];

  function start(args: string[], opts: { detached?: boolean } = {}): Spawned {
    const child = spawn('node', [CLI, ...args], { cwd: ROOT, env: { ...process.env, MP_SPDZ_HOME: home! }, detached: opts.detached ?? false });
    const s: Spawned = {
      child,
      stdout: '',
      stderr: '',
      exit: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
    };
    child.stdout!.on('data', (d) => (s.stdout += d));
    child.stderr!.on('data', (d) => (s.stderr += d));
    started.push(s);
    return s;
  }

  /** Starts a run (with progress messages) and resolves when all three parties are running (past their start-up). */
  async function startParties(opts: { detached?: boolean } = {}): Promise<Spawned> {
    expect(partyProcesses()).toEqual([]);
    const s = start(runArgs, opts);
    await until('the parties to start', () => s.stderr.includes('running 3 parties') && partyProcesses().length === 3, 120);
    await new Promise((r) => setTimeout(r, 1500));
    expect(partyProcesses()).toHaveLength(3);
    return s;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ppvc-run-'));
    const text = readFileSync(join(ROOT, 'examples', 'emotion.ppvc'), 'utf8').replace(/^pipeline emotion$/m, `pipeline ${NAME}`);
    ppvc = join(dir, `${NAME}.ppvc`);
    writeFileSync(ppvc, text);
    const checked = checkSource({ path: ppvc, text });
    if (!checked.pipeline) throw new Error(checked.diagnostics.map((d) => d.message).join('; '));
    const a = buildPipeline(checked.pipeline);
    for (const party of a.inputs.parties.filter((x) => x.tensors.length > 0)) {
      writeFileSync(join(dir, `p${party.party}.txt`), formatValues(partyValues(a.inputs, a.pipeline, party.party, { seed: 7 + party.party })));
    }
    // the seed style: its parties run for about 18 s (the optimized program for 2-4 s), long
    // enough for the interruption tests to catch them mid-run even on a loaded machine
    runArgs = ['run', ppvc, '--protocol', 'replicated-ring', '--style', 'seed', '--patch-mp-spdz', '--input', `0=${join(dir, 'p0.txt')}`, '--input', `1=${join(dir, 'p1.txt')}`, '-o', join(dir, 'out')];
    // a complete run first: compiles (cached afterwards) and shows how long the parties run
    const s = start([...runArgs, '--json']);
    const { code } = await s.exit;
    if (code !== 0) throw new Error(`the baseline run failed (${code}):\n${s.stderr}`);
    baseline = (JSON.parse(s.stdout) as { wallSeconds: number }).wallSeconds;
    console.log(`baseline: ${NAME} (emotion) under replicated-ring, parties ran ${baseline.toFixed(1)} s`);
    if (baseline < 4) console.warn(`the parties ran only ${baseline} s: the interruption tests below may find them finished`);
  });

  afterAll(() => {
    for (const s of started) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    for (const p of partyProcesses()) process.kill(p.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('a tree without the party binary (all else real): the message names the binary, exit 2', () => {
    const tree = mkdtempSync(join(tmpdir(), 'ppvc-run-nobin-'));
    for (const e of readdirSync(home!)) if (e !== PROTOCOLS['replicated-ring'].binary) symlinkSync(join(home!, e), join(tree, e));
    const r = cli(['run', ppvc, '--protocol', 'replicated-ring', '--mp-spdz', tree, '--input', `0=${join(dir, 'p0.txt')}`, '-o', join(dir, 'out')], { MP_SPDZ_HOME: '', ...NO_CACHE });
    rmSync(tree, { recursive: true, force: true });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`replicated-ring-party.x is missing in ${tree}`);
    noStackTrace(r.stderr);
  });

  test('a ring the party programs are not built for (ring 24, all else real): the message says how to build them, exit 2', () => {
    const r24 = join(dir, `${NAME}_r24.ppvc`);
    writeFileSync(r24, readFileSync(ppvc, 'utf8').replace(/^pipeline .*$/m, `pipeline ${NAME}_r24`).replace(/ring 64 +precision 16 31/, 'ring 24  precision 7 16'));
    // --ignore-precheck: 7 fractional bits lose this pipeline's signal, and the check in the
    // clear would refuse the run before the parties could find out about their ring
    const r = cli(['run', r24, '--protocol', 'replicated-ring', '--patch-mp-spdz', '--ignore-precheck', '--input', `0=${join(dir, 'p0.txt')}`, '--input', `1=${join(dir, 'p1.txt')}`, '-o', join(dir, 'out24')], { MP_SPDZ_HOME: home! });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`replicated-ring-party.x in ${home} is not built for a 24-bit ring`);
    expect(r.stderr).toContain("MY_CFLAGS += -DRING_SIZE=24");
    noStackTrace(r.stderr);
  });

  test.each([
    ['SIGINT to ppvc-dsl (kill -INT)', 'SIGINT', false],
    ['SIGINT to the whole process group (Ctrl-C in a terminal)', 'SIGINT', true],
    ['SIGTERM to ppvc-dsl', 'SIGTERM', false],
  ] as [string, NodeJS.Signals, boolean][])('%s stops the run and leaves no party process behind', async (_what, signal, group) => {
    const s = await startParties({ detached: group });
    const t = Date.now();
    if (group) process.kill(-s.child.pid!, signal);
    else s.child.kill(signal);
    const exit = await s.exit;
    const stopSeconds = (Date.now() - t) / 1000;
    await until('the parties to go', () => partyProcesses().length === 0, 5).catch(() => undefined);
    expect(partyProcesses()).toEqual([]);
    // the run did not complete: it was stopped
    expect(stopSeconds).toBeLessThan(Math.max(2, baseline / 2));
    expect(exit.code === 0).toBe(false);
    console.log(`${_what}: ppvc-dsl ended ${JSON.stringify(exit)} ${stopSeconds.toFixed(2)} s after the signal`);
  });

  test.each(['SIGKILL', 'SIGTERM'] as NodeJS.Signals[])('a party killed with %s stops the others; exit 2 with its last log lines', async (signal) => {
    const s = await startParties();
    const victim = partyProcesses().find((p) => p.party === 1)!;
    const t = Date.now();
    process.kill(victim.pid, signal);
    const exit = await s.exit;
    const stopSeconds = (Date.now() - t) / 1000;
    expect(exit.code).toBe(2);
    expect(stopSeconds).toBeLessThan(Math.max(3, baseline / 2));
    expect(partyProcesses()).toEqual([]);
    expect(s.stderr).toMatch(/error: party 1 failed \(.*\) running ppvc_runtest_long under replicated-ring:\n/);
    // the tail of party 1's log, what it wrote before dying: MP-SPDZ's start-up line, or once
    // the log is longer than the tail (the seed style's per-layer timers), its last timers
    const tail = s.stderr.slice(s.stderr.indexOf('error: party 1 failed'));
    expect(tail.split('\n').length).toBeGreaterThan(2);
    expect(tail).toMatch(/Trying to run 64-bit computation|(Starting|Stopped) timer \d+ at/);
    noStackTrace(s.stderr);
    console.log(`party 1 killed with ${signal}: ppvc-dsl exited ${exit.code} after ${stopSeconds.toFixed(2)} s:\n${tail.split('\n').slice(0, 4).join('\n')}`);
  });

  // SIGKILL (kill -9, the OOM killer) cannot be caught, so execa's cleanup never runs: without a
  // parent-death signal the parties outlive ppvc-dsl until their next write to its closed pipes
  // (SIGPIPE) or their end; measured: ~3 s with emotion, longer in a long silent layer. The fix
  // starts each party under `setpriv --pdeathsig KILL` on Linux (src/backend/local-run.ts).
  const guarded = process.platform === 'linux' && existsSync('/usr/bin/setpriv');
  testUnless(guarded ? undefined : 'needs Linux and /usr/bin/setpriv (util-linux), which give the parties a parent-death signal')('ppvc-dsl killed with SIGKILL takes its parties with it', async () => {
    const s = await startParties();
    s.child.kill('SIGKILL');
    await s.exit;
    try {
      await until('the parties to go', () => partyProcesses().length === 0, 1).catch(() => undefined);
      expect(partyProcesses()).toEqual([]);
    } finally {
      // orphans are our own run's parties: stop them by process id
      for (const p of partyProcesses()) process.kill(p.pid, 'SIGKILL');
    }
  });
});

test("run's report: the timer table's columns line up whatever the timer names' length", async () => {
  const { formatRecord } = await import('../src/backend/run-pipeline.js');
  const text = formatRecord({
    pipeline: 'p',
    protocol: 'replicated-ring',
    outputs: { label: '4' },
    wallSeconds: 1,
    parties: [{ party: 0, seconds: 1, dataSentMB: 2, rounds: 3 }] as never,
    timers: [
      { timer: 3, name: 'cnn', seconds: 1.5, mb: 31.297, rounds: 108 },
      { timer: 102, name: 'relu_1 + avgpool_1', seconds: 2.1311, mb: 15.39, rounds: 11 },
      { timer: 112, name: 'dense_1 (activation)', seconds: 0.0023, mb: 0.178, rounds: 9 },
    ],
    compile: { seconds: 1, cached: false, command: '' },
    mpSpdz: { root: '/x', version: '0.4.2' },
    date: '',
  });
  const table = text.split('\n').slice(text.split('\n').findIndex((l) => l.startsWith('timer')));
  expect(table).toHaveLength(4);
  // every row ends its time, MB and rounds columns where the header does
  const ends = (line: string) => [...line.matchAll(/\S+(?=\s|$)/g)].slice(-3).map((m) => m.index! + m[0].length);
  for (const row of table.slice(1)) expect(ends(row)).toEqual(ends(table[0]!));
});
