// Faults a run must survive (issue 23), each with the real MP-SPDZ: a party that never connects,
// a wrong host, a port in use, bad input files, a results file on a read-only or full disk.
// Each test checks the message (naming the party and the cause), the exit status, that no party
// process is left, and that nothing is half-written. A killed party and Ctrl-C are in
// test/run.test.ts. The deployment faults run the bundle's own run.sh scripts on this machine
// (every host 127.0.0.1, each test on its own ports), with a short PPVC_CONNECT_TIMEOUT.
// NOTE: like test/run.test.ts, the `run` tests compile Programs/Source/ppvc_faults.* in the
// MP-SPDZ tree and add the program's helpers to its Compiler/ml.py (--patch-mp-spdz).
import { jest } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, describeUnless, mpSpdzHome, noMpSpdzReason, testUnless } from './helpers.js';
import { installMpSpdz } from './netns/lan.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import { randomBasePort } from '../src/backend/local-run.js';
import { partyValues } from '../src/inputs/random-inputs.js';
import { formatValues } from '../src/inputs/text-format.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const home = mpSpdzHome();
/** The pipeline's name: the party processes of these tests are found by it. */
const NAME = 'ppvc_faults';
const BINARY = 'replicated-ring-party.x';

interface Ended {
  code: number | null;
  out: string;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to its end (asynchronously: a test's own listening socket keeps serving meanwhile). */
function runToEnd(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Ended> {
  const started = Date.now();
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
  const r = { stdout: '', stderr: '', out: '' };
  child.stdout.on('data', (d) => ((r.stdout += d), (r.out += d)));
  child.stderr.on('data', (d) => ((r.stderr += d), (r.out += d)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ...r, seconds: (Date.now() - started) / 1000 })));
}

/** Processes whose command line matches `pattern` (pgrep -f), ours only: the party programs and run.sh's check. */
function processes(pattern: string): string[] {
  const r = spawnSync('pgrep', ['-af', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim() && !l.includes('pgrep'));
}

const partyProcesses = () => processes(`party\\.x .*\\b${NAME}\\b`);
const noStackTrace = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);

/** Mounts a tmpfs at `dir` (root only); false where mount is not allowed. */
function mountTmpfs(dir: string, options: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}

const root = process.getuid?.() === 0;

/** Why a read-only place cannot be made here: root passes permission checks, so it needs a read-only mount. */
function noReadOnlyReason(): string | undefined {
  if (!root) return undefined;
  const probe = mkdtempSync(join(tmpdir(), 'ppvc-faults-mount-'));
  const mounted = mountTmpfs(probe, 'size=4k');
  if (mounted) spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return mounted ? undefined : 'running as root (which passes permission checks) where tmpfs cannot be mounted read-only';
}

describeUnless(noMpSpdzReason())('faults survived, with MP-SPDZ', () => {
  jest.setTimeout(300_000);
  let dir: string;
  let ppvc: string;
  const input = (party: number) => join(dir, `p${party}.txt`);
  const runArgs = (...more: string[]) => ['run', ppvc, '--patch-mp-spdz', '--input', `0=${input(0)}`, '--input', `1=${input(1)}`, '-o', join(dir, 'out'), ...more];
  const cli = (args: string[], env: Record<string, string> = {}) => runToEnd('node', [CLI, ...args], { MP_SPDZ_HOME: home!, ...env });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ppvc-faults-'));
    // tiny-2pc under replicated-ring with raw scores: the smallest program, run in well under a second
    const text = readFileSync(join(ROOT, 'examples', 'tiny-2pc.ppvc'), 'utf8')
      .replace(/^pipeline tiny_2pc$/m, `pipeline ${NAME}`)
      .replace('softmax relu_normalized', 'logits')
      .replace('protocol spdz2k', 'protocol replicated-ring');
    ppvc = join(dir, `${NAME}.ppvc`);
    writeFileSync(ppvc, text);
    const checked = checkSource({ path: ppvc, text });
    if (!checked.pipeline) throw new Error(checked.diagnostics.map((d) => d.message).join('; '));
    const a = buildPipeline(checked.pipeline);
    for (const party of [0, 1]) writeFileSync(input(party), formatValues(partyValues(a.inputs, a.pipeline, party, { seed: 5 + party })));
    // a complete run first: compiles (cached afterwards), and shows the faults below are the faults
    const r = await cli(runArgs());
    if (r.code !== 0) throw new Error(`the baseline run failed (${r.code}):\n${r.stderr}`);
  });

  afterAll(() => {
    for (const line of partyProcesses()) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // ---- bad input files: refused before any party starts ------------------------------------

  test.each([
    ['too few values', (t: string) => t.split('\n').slice(0, 50).join('\n') + '\n', [
      'error: FILE: 50 values, but party 1 (bob) must provide 97',
      'help: FILE is the input of party 1 (bob); the file ends at line 50: the first missing value is dense_1.kernel[10]',
    ]],
    ['too many values', (t: string) => `${t}0.5\n`, [
      'error: FILE: 98 values, but party 1 (bob) must provide 97',
      'help: FILE is the input of party 1 (bob); the 1 extra value is at line 98',
    ]],
    ['a non-number', (t: string) => t.split('\n').map((l, i) => (i === 4 ? '0.5x' : l)).join('\n'), [
      "error: FILE: element 4 (line 5) is not a number: '0.5x'",
      'help: FILE is the input of party 1 (bob), 97 numbers (inputs.json); element 4 should be selection[4]',
    ]],
  ] as [string, (t: string) => string, string[]][])('an input file with %s: exit 1 naming the party, the file and the line; no party started', async (what, edit, messages) => {
    const bad = join(dir, `bad-${what.replace(/\W+/g, '-')}.txt`);
    writeFileSync(bad, edit(readFileSync(input(1), 'utf8')));
    const r = await cli(runArgs('--input', `1=${bad}`));
    expect(r.code).toBe(1);
    for (const m of messages) expect(r.stderr).toContain(m.replaceAll('FILE', bad));
    // refused before the compile, let alone the parties
    expect(r.stderr).not.toContain('compiling');
    expect(r.stderr).not.toContain('running 3 parties');
    expect(partyProcesses()).toEqual([]);
    noStackTrace(r.stderr);
    console.log(`${what}: exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stderr}`);
  });

  // ---- a port in use ---------------------------------------------------------------------

  test('a port in use (run --local): the run moves to other ports, says so, and completes', async () => {
    // ppvc-dsl chose the ports, so any free ones do: users expect the run to work, not to pick a port
    const base = randomBasePort();
    const squatter = await listenOn(base + 1);
    try {
      const r = await cli(runArgs(), { PPVC_DSL_PORT: String(base) });
      expect(r.stderr).toMatch(new RegExp(`port ${base + 1}, where party 1 listens, is in use on this machine \\(Address already in use\\); running on ports (\\d+)\\.\\.(\\d+) instead`));
      expect([r.code, r.stdout]).toEqual([0, expect.stringMatching(/under replicated-ring: label: \d/)]);
      expect(partyProcesses()).toEqual([]);
      expect(squatter.listening).toBe(true);
      console.log(`port ${base + 1} in use: exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stderr}`);
    } finally {
      squatter.close();
    }
  });

  test('a bad PPVC_DSL_PORT: exit 2 naming it, before anything runs', async () => {
    const r = await cli(runArgs(), { PPVC_DSL_PORT: '80' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: PPVC_DSL_PORT=80: expected a whole number from 1024 to 65533');
    expect(r.stderr).not.toContain('running 3 parties');
  });

  // ---- a results file that cannot take the record ------------------------------------------

  testUnless(noReadOnlyReason())('a results file on a read-only file system: exit 1 naming the file and the cause before the parties run; the file is unchanged', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const results = join(ro, 'results.jsonl');
    const before = '{"earlier": "record"}\n';
    // root passes permission checks: a read-only mount stops it; anyone else, a read-only directory
    if (root) {
      expect(mountTmpfs(ro, 'size=64k')).toBe(true);
      writeFileSync(results, before);
      expect(spawnSync('mount', ['-o', 'remount,ro', ro]).status).toBe(0);
    } else {
      writeFileSync(results, before);
      spawnSync('chmod', ['a-w', ro, results]);
    }
    try {
      const r = await cli(runArgs('--results', results));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`error: cannot write ${results}: ${root ? 'read-only file system (EROFS)' : 'permission denied (EACCES)'}`);
      expect(r.stderr).not.toContain('running 3 parties');
      expect(readFileSync(results, 'utf8')).toBe(before);
      expect(partyProcesses()).toEqual([]);
      noStackTrace(r.stderr);
      console.log(`read-only results file: exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stderr}`);
    } finally {
      if (root) spawnSync('umount', [ro]);
      else spawnSync('chmod', ['u+w', ro, results]);
    }
  });

  test('a results file on a full disk: the label is shown, exit 1 naming the file and the cause, and no partial line', async () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    const results = join(full, 'results.jsonl');
    // a file ending mid-page: a record fills that page's rest and then finds no space, so a plain
    // append would leave part of a line (Node's appendFileSync does); /dev/full where tmpfs cannot be mounted
    const before = `${'{"earlier": "record"}'.padEnd(3999, ' ')}\n`;
    const tmpfs = mountTmpfs(full, 'size=12k');
    if (tmpfs) {
      writeFileSync(results, before);
      writeFileSync(join(full, 'fill'), Buffer.alloc(8192));
    } else {
      symlinkSync('/dev/full', results);
    }
    try {
      const r = await cli(runArgs('--results', results));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`error: cannot write ${results}: no space left on the device \\(ENOSPC\\); the run completed \\(label: \\d\\) but its record was not appended to ${results}, which is as it was`),
      );
      // the whole report, before the error
      expect(r.stderr).toMatch(/under replicated-ring: label: \d\n[^]*party {2}time \(s\)/);
      if (tmpfs) expect([statSync(results).size, readFileSync(results, 'utf8')]).toEqual([before.length, before]);
      expect(partyProcesses()).toEqual([]);
      noStackTrace(r.stderr);
      console.log(`full disk (${tmpfs ? 'tmpfs' : '/dev/full'}): exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stderr.split('\n').slice(-2).join('\n')}`);
    } finally {
      if (tmpfs) spawnSync('umount', [full]);
    }
  });

  // ---- deployment bundles: each party's run.sh -------------------------------------------

  describe("a deployment's run.sh, every party on this machine", () => {
    let bundle: string;
    let mpHome: string;

    beforeAll(async () => {
      // the bundle as deploy writes it, and one MP-SPDZ installation that all three parties set up
      const hosts = join(dir, 'hosts.txt');
      writeFileSync(hosts, '127.0.0.1\n127.0.0.1\n127.0.0.1\n');
      bundle = join(dir, 'bundle');
      const d = await cli(['deploy', ppvc, '--hosts', hosts, '-o', bundle, '--input', `0=${input(0)}`, '--input', `1=${input(1)}`]);
      if (d.code !== 0) throw new Error(`deploy failed:\n${d.stderr}`);
      mpHome = installMpSpdz(home!, join(dir, 'host'), [BINARY]);
      for (const party of [0, 1, 2]) {
        const s = await runToEnd('sh', [join(bundle, `party-${party}`, 'setup.sh')], { MP_SPDZ_HOME: mpHome });
        if (s.code !== 0) throw new Error(`setup.sh of party ${party} failed:\n${s.out}`);
      }
    });

    /** The bundle's party directories with HOSTS edited to `hosts` (as a user would), in a new directory. */
    function bundleWith(hosts: string[]): string {
      const copy = mkdtempSync(join(dir, 'bundle-'));
      for (const party of [0, 1, 2]) {
        cpSync(join(bundle, `party-${party}`), join(copy, `party-${party}`), { recursive: true });
        writeFileSync(join(copy, `party-${party}`, 'HOSTS'), hosts.join('\n') + '\n');
      }
      return copy;
    }

    const runSh = (b: string, party: number, timeout: number) =>
      runToEnd(join(b, `party-${party}`, 'run.sh'), [], { MP_SPDZ_HOME: mpHome, PPVC_CONNECT_TIMEOUT: String(timeout) });
    const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const localHosts = (base: number) => [0, 1, 2].map((i) => `127.0.0.1:${base + i}`);

    test('control: the three run.sh started 2 s apart wait for each other and reveal the label', async () => {
      const b = bundleWith(localHosts(randomBasePort()));
      const first = [runSh(b, 0, 60), runSh(b, 1, 60)];
      await delay(2000);
      const runs = await Promise.all([...first, runSh(b, 2, 60)]);
      expect(runs.map((r) => [r.code, r.code === 0 ? '' : r.out])).toEqual([[0, ''], [0, ''], [0, '']]);
      expect(runs[0]!.stdout).toMatch(/^label: \d$/m);
      expect(processes(b)).toEqual([]);
      console.log(`three run.sh, party 2 2 s late: ${runs.map((r) => r.seconds.toFixed(1)).join(', ')} s`);
    });

    test('a party that never connects: the others stop after PPVC_CONNECT_TIMEOUT naming it and its HOSTS line; no process left', async () => {
      const base = randomBasePort();
      const b = bundleWith(localHosts(base));
      const runs = await Promise.all([runSh(b, 0, 4), runSh(b, 1, 4)]);
      for (const r of runs) {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`run.sh: party 2 (party2) at 127.0.0.1:${base + 2} (line 3 of HOSTS) cannot be reached: connection refused: nothing listens there`);
        expect(r.stderr).toContain('waited 4 s: check that');
        expect(r.stderr).toContain('PPVC_CONNECT_TIMEOUT=SECONDS waits longer');
        expect(r.seconds).toBeLessThan(15);
      }
      // the party programs never started, and the checks are gone
      expect(runs.map((r) => r.out).join('')).not.toContain('Trying to run');
      expect(processes(b)).toEqual([]);
      expect(partyProcesses()).toEqual([]);
      console.log(`party 2 never connects: exit ${runs.map((r) => r.code).join(', ')} after ${runs.map((r) => r.seconds.toFixed(1)).join(', ')} s\n${runs[1]!.stderr}`);
    });

    test.each([
      ['a host name that does not resolve', 'nohost.invalid', 'run.sh: line 2 of HOSTS names party 1 (bob) as nohost.invalid, which does not resolve', 3],
      ['an address where nothing listens', '127.0.0.2', 'run.sh: party 1 (bob) at 127.0.0.2:PORT (line 2 of HOSTS) cannot be reached: connection refused: nothing listens there', 15],
    ] as [string, string, string, number][])('a wrong host (%s): run.sh says which party and HOSTS line, exit 1, no process left', async (_what, host, message, within) => {
      const base = randomBasePort();
      const b = bundleWith([`127.0.0.1:${base}`, `${host}:${base + 1}`, `127.0.0.1:${base + 2}`]);
      const r = await runSh(b, 0, 4);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(message.replace('PORT', String(base + 1)));
      expect(r.seconds).toBeLessThan(within);
      expect(processes(b)).toEqual([]);
      expect(partyProcesses()).toEqual([]);
      console.log(`wrong host ${host}: exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stderr}`);
    });

    test("a port in use (bundle): run.sh names the party's port and HOSTS line at once, exit 1", async () => {
      // on a party's own host the port is the deployment's, agreed by all: it cannot move
      const base = randomBasePort();
      const b = bundleWith(localHosts(base));
      const squatter = await listenOn(base + 1);
      try {
        const r = await runSh(b, 1, 4);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`run.sh: party 1 (bob) cannot listen on its port ${base + 1} (line 2 of HOSTS): Address already in use`);
        expect(r.stderr).toContain("give party 1 another port: HOST:PORT on line 2 of every party's HOSTS");
        expect(r.seconds).toBeLessThan(3);
        expect(processes(b)).toEqual([]);
        console.log(`bundle port in use: exit ${r.code} after ${r.seconds.toFixed(1)} s\n${r.stderr}`);
      } finally {
        squatter.close();
      }
    });
  });
});

/** Another program listening on `port` (every address, as MP-SPDZ binds). */
function listenOn(port: number): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
