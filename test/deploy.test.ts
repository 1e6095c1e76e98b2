// `ppvc-dsl deploy`: the per-party bundle (always), and a real deployment on a private LAN of
// Linux network namespaces (when MP_SPDZ_HOME is set and the test runs as root with `ip netns`):
// every party gets only its own directory, sets up its own MP-SPDZ "installation" by the
// bundle's steps, exchanges only certificates, and runs its run.sh inside its own namespace;
// the label revealed to party 0 must be the clear-text reference label.
import { jest } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import yargs from 'yargs';
import { describeUnless, mpSpdzHome, noMpSpdzReason, source } from './helpers.js';
import { buildPipeline, checkSource } from '../src/compile.js';
import { UserError } from '../src/diagnostics.js';
import { PROTOCOLS, type ProtocolName } from '../src/target/protocols.js';
import { deployBundle, deployPartyCommand, parseHostEntry, parseHostsFile, writeBundle, type DeployManifest } from '../src/backend/deploy.js';
import { withCommands } from '../src/commands/option-values.js';
import { deployCommand } from '../src/commands/deploy-command.js';
import { parseRunLogs } from '../src/backend/local-run.js';
import { everyKth, partyValues } from '../src/inputs/random-inputs.js';
import { formatValues } from '../src/inputs/text-format.js';
import { evaluateReference } from '../src/reference/evaluate.js';
import { createLan, destroyLan, installMpSpdz, netnsUnavailable, portCounters, removeStaleLans, type Lan } from './netns/lan.js';

function build(example: string, protocol?: ProtocolName) {
  const r = checkSource(source(example), { protocol });
  if (!r.pipeline) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return buildPipeline(r.pipeline);
}

/** Seeded inputs for every party that has some: values and the text of its file. */
function inputsFor(a: ReturnType<typeof build>, seed: number) {
  const values = new Map<number, Float32Array>();
  const texts = new Map<number, string>();
  for (const party of a.inputs.parties) {
    if (party.tensors.length === 0) continue;
    const sel = a.pipeline.selection;
    const frames = sel.kind === 'oblivious' ? everyKth(a.pipeline.video.frames, sel.count, 7) : undefined;
    const v = partyValues(a.inputs, a.pipeline, party.party, { seed: seed * 100 + party.party, frames: frames?.length === (sel as { count?: number }).count ? frames : undefined });
    values.set(party.party, v);
    texts.set(party.party, formatValues(v));
  }
  return { values, texts };
}

const tmp = (tag: string) => mkdtempSync(join(tmpdir(), `ppvc-deploy-${tag}-`));

/** The deploy command in-process, as cli.ts registers it (same failure handling). */
async function deployCli(args: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await withCommands(yargs(args).option('json', { type: 'boolean', default: false }), [deployCommand])
      .strict()
      .fail((msg, err) => {
        if (err) throw err;
        throw new UserError(msg);
      })
      .parseAsync();
    return { stdout: chunks.join(''), exitCode: process.exitCode as number | undefined };
  } finally {
    spy.mockRestore();
    process.exitCode = saved;
  }
}

describe('deployBundle', () => {
  const a = build('examples/small-maxpool.ppvc', 'replicated-ring');
  const { texts } = inputsFor(a, 1);
  const hosts = ['10.1.0.1', 'bob.example.org', '10.1.0.3:15000'];
  const files = deployBundle(a, hosts, { inputs: texts });

  test('writes one complete directory per party, and each party\'s input only into its own', () => {
    const perParty = (i: number) => Object.keys(files).filter((f) => f.startsWith(`party-${i}/`)).map((f) => f.slice(8)).sort();
    const common = ['HOSTS', 'README.txt', 'inputs.json', 'ml.py.patch', 'run.sh', 'setup.sh', 'small_maxpool.mpc'];
    expect(perParty(0)).toEqual(['Input-P0-0', ...common].sort());
    expect(perParty(1)).toEqual(['Input-P1-0', ...common].sort());
    expect(perParty(2)).toEqual(common);
    expect(Object.keys(files).filter((f) => !f.startsWith('party-')).sort()).toEqual(['README.txt', 'deploy.json']);
    expect(files['party-0/Input-P0-0']).toBe(texts.get(0));
    expect(files['party-1/Input-P1-0']).toBe(texts.get(1));
    // no other file of any party holds another party's input
    for (const [path, content] of Object.entries(files)) {
      for (const [id, text] of texts) {
        if (path !== `party-${id}/Input-P${id}-0`) expect(content.includes(text.slice(0, 2000))).toBe(false);
      }
    }
    for (let i = 0; i < 3; i++) {
      expect(files[`party-${i}/small_maxpool.mpc`]).toBe(a.program);
      expect(files[`party-${i}/ml.py.patch`]).toBe(a.mlPatch);
      expect(files[`party-${i}/HOSTS`]).toBe('10.1.0.1\nbob.example.org\n10.1.0.3:15000\n');
    }
  });

  test('run.sh runs the exact party command from $MP_SPDZ_HOME', () => {
    expect(files['party-1/run.sh']).toContain('\nexec ./replicated-ring-party.x -p 1 -ip "$bundle/HOSTS" -pn 14000 small_maxpool "$@"\n');
    expect(deployPartyCommand(a.pipeline, 2)).toEqual(['./replicated-ring-party.x', '-p', '2', '-ip', 'HOSTS', '-pn', '14000', 'small_maxpool']);
    expect(files['party-1/run.sh']).toContain('test -f Player-Data/Input-P1-0');
    expect(files['party-2/run.sh']).not.toContain('Input-P2-0');
    for (const f of Object.keys(files).filter((x) => x.endsWith('.sh'))) {
      const r = spawnSync('sh', ['-n', '-c', files[f]!]);
      expect([f, r.status, String(r.stderr)]).toEqual([f, 0, '']);
    }
  });

  test('README.txt gives each party its own steps: patch, compile, its key, .pem exchange, c_rehash, input, run', () => {
    const r1 = files['party-1/README.txt']!;
    expect(r1).toContain('You are party 1 (bob) at bob.example.org; you listen on TCP port 14001.');
    expect(r1).toContain('patch -p1 -N -r - --no-backup-if-mismatch < "$BUNDLE/ml.py.patch"');
    expect(r1).toContain(`cp "$BUNDLE/small_maxpool.mpc" "$MP_SPDZ_HOME/Programs/Source/small_maxpool.mpc"`);
    expect(r1).toContain('./compile.py -E ring -b 8000 small_maxpool');
    expect(r1).toContain('openssl req -newkey rsa -nodes -x509 -out Player-Data/P1.pem -keyout Player-Data/P1.key -subj "/CN=P1"');
    expect(r1).toContain('c_rehash Player-Data');
    expect(r1).toContain('$MP_SPDZ_HOME/Player-Data/P0.pem   from party 0');
    expect(r1).toContain('$MP_SPDZ_HOME/Player-Data/P2.pem   from party 2');
    expect(r1).not.toContain('Player-Data/P0.key');
    expect(r1).toContain('cp "$BUNDLE/Input-P1-0" "$MP_SPDZ_HOME/Player-Data/Input-P1-0"');
    expect(r1).toContain('./replicated-ring-party.x -p 1 -ip "$BUNDLE/HOSTS" -pn 14000 small_maxpool');
    expect(files['party-2/README.txt']).toContain('None: you provide no input');
    expect(files['party-2/README.txt']).toContain('listen on TCP port 15000');
    expect(files['party-0/README.txt']).toContain('It prints label');
    // the same program for everybody: the same hash in every README
    const hash = createHash('sha256').update(a.program).digest('hex');
    for (let i = 0; i < 3; i++) expect(files[`party-${i}/README.txt`]).toContain(hash);
  });

  test('without input files, each party is told to provide its own', () => {
    const f = deployBundle(a, hosts);
    expect(Object.keys(f).some((x) => /Input-P/.test(x))).toBe(false);
    expect(f['party-0/README.txt']).toContain('Write your input file (7680 numbers: video [30,16,16,1]');
    expect(f['party-0/README.txt']).toContain('to $MP_SPDZ_HOME/Player-Data/Input-P0-0');
    const m = JSON.parse(f['deploy.json']!) as DeployManifest;
    expect(m.parties.map((p) => [p.party, p.inputBundled, p.port])).toEqual([[0, false, 14000], [1, false, 14001], [2, false, 15000]]);
  });

  test('dishonest-majority binaries are told the number of parties; rep4-ring needs four hosts', () => {
    const semi = build('examples/small-maxpool.ppvc', 'semi2k');
    expect(deployBundle(semi, ['a', 'b'], { portBase: 20000 })['party-1/run.sh']).toContain('exec ./semi2k-party.x -p 1 -ip "$bundle/HOSTS" -N 2 -pn 20000 -b 10000 small_maxpool');
    const rep4 = build('examples/public-vote.ppvc');
    expect(PROTOCOLS[rep4.pipeline.target.protocol].parties).toBe(4);
    expect(Object.keys(deployBundle(rep4, ['h0', 'h1', 'h2', 'h3'])).filter((f) => f.endsWith('/HOSTS'))).toHaveLength(4);
    expect(() => deployBundle(rep4, ['h0', 'h1', 'h2'])).toThrow('lists 3 hosts, but rep4-ring needs exactly 4: one per party, in party order');
  });

  test.each([
    [['a', 'b'], 'lists 2 hosts, but replicated-ring needs exactly 3'],
    [['a', 'b', 'c', 'd'], 'lists 4 hosts, but replicated-ring needs exactly 3'],
    [['a', 'b', 'a:14000'], 'parties 0 and 2 would both listen on a:14000'],
    [['a', 'b:14002', 'B'], 'parties 1 and 2 would both listen on b:14002'],
    [['a', 'b', 'c:70000'], "the port '70000' is not a number from 1 to 65535"],
    [['a', 'b', '::1'], 'IPv6'],
  ])('hosts %j are refused: %s', (h, message) => {
    expect(() => deployBundle(a, h)).toThrow(UserError);
    expect(() => deployBundle(a, h)).toThrow(message);
  });

  test('emulate has nothing to deploy; an input for a party without inputs is refused', () => {
    expect(() => deployBundle(build('examples/small-maxpool.ppvc', 'emulate'), ['a'])).toThrow('nothing to deploy');
    expect(() => deployBundle(a, hosts, { inputs: new Map([[2, '1\n']]) })).toThrow('party 2 (party2), which provides no input');
  });
});

describe('hosts files', () => {
  test('one host per line, optional :port, # comments, blank lines', () => {
    expect(parseHostsFile('# parties\n10.0.0.1\n\n  alice.example.org:5000  # alice\r\nhost-2\n')).toEqual(['10.0.0.1', 'alice.example.org:5000', 'host-2']);
  });
  test('every bad line is reported with its line number', () => {
    let err: unknown;
    try {
      parseHostsFile('ok\nuser@host\n10.0.0.300\nx:0\nfoo bar\n', 'h.txt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const msgs = (err as UserError).diagnostics.map((d) => d.message);
    expect(msgs).toEqual([
      expect.stringMatching(/^h\.txt:2: 'user@host' is not a host: .*compile-run\.py/),
      "h.txt:3: '10.0.0.300' is not an IPv4 address",
      "h.txt:4: 'x:0': the port '0' is not a number from 1 to 65535",
      "h.txt:5: 'foo bar' holds white space: one host per line",
    ]);
  });
  test.each(['localhost', '192.168.1.10:14000', 'a-b.c'])('%s is a host', (h) => expect(typeof parseHostEntry(h)).toBe('object'));
  test.each(['-a', 'a..b', '1.2.3', '[::1]:5000', ''])('%j is not', (h) => expect(typeof parseHostEntry(h)).toBe('string'));
});

describe('the deploy command', () => {
  const a = build('examples/small-maxpool.ppvc', 'replicated-ring');
  const { texts } = inputsFor(a, 2);
  let dir: string;
  let hostsFile: string;
  let video: string;
  let model: string;
  beforeEach(() => {
    dir = tmp('cmd');
    hostsFile = join(dir, 'hosts.txt');
    writeFileSync(hostsFile, '# alice, bob, carol\n10.0.0.1\n10.0.0.2\n10.0.0.3\n');
    video = join(dir, 'video.txt');
    model = join(dir, 'model.txt');
    writeFileSync(video, texts.get(0)!);
    writeFileSync(model, texts.get(1)!);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const base = () => ['deploy', 'examples/small-maxpool.ppvc', '--protocol', 'replicated-ring', '--hosts', hostsFile];

  test('validates the inputs and copies each into its owner\'s directory only, with private permissions', async () => {
    const out = join(dir, 'bundle');
    const r = await deployCli([...base(), '-o', out, '--video-input', video, '--model-input', model, '--json']);
    expect(r.exitCode).toBeUndefined();
    const j = JSON.parse(r.stdout) as DeployManifest & { ok: boolean; outDir: string };
    expect(j.ok).toBe(true);
    expect(j.parties.map((p) => [p.host, p.inputBundled])).toEqual([['10.0.0.1', true], ['10.0.0.2', true], ['10.0.0.3', false]]);
    expect(readFileSync(join(out, 'party-0', 'Input-P0-0'), 'utf8')).toBe(texts.get(0));
    expect(readFileSync(join(out, 'party-1', 'Input-P1-0'), 'utf8')).toBe(texts.get(1));
    expect(readdirSync(join(out, 'party-0')).filter((f) => f.startsWith('Input'))).toEqual(['Input-P0-0']);
    expect(readdirSync(join(out, 'party-1')).filter((f) => f.startsWith('Input'))).toEqual(['Input-P1-0']);
    expect(readdirSync(join(out, 'party-2')).filter((f) => f.startsWith('Input'))).toEqual([]);
    expect(statSync(join(out, 'party-0', 'Input-P0-0')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'party-0')).mode & 0o777).toBe(0o700);
    expect(statSync(join(out, 'party-2', 'run.sh')).mode & 0o777).toBe(0o755);
    // nothing but the bundle, no temporary files left next to it
    expect(readdirSync(dir).sort()).toEqual(['bundle', 'hosts.txt', 'model.txt', 'video.txt']);
  });

  test('refuses a non-empty directory unless --replace, which replaces an earlier deployment', async () => {
    const out = join(dir, 'bundle');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    await expect(deployCli([...base(), '-o', out])).rejects.toThrow(`${out} is not empty`);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    // an earlier 4-party deployment there: --replace removes its party-3, keeps the user's file
    const rep4 = build('examples/public-vote.ppvc');
    writeBundle(out, deployBundle(rep4, ['a', 'b', 'c', 'd']), { replace: true });
    expect(existsSync(join(out, 'party-3', 'run.sh'))).toBe(true);
    await deployCli([...base(), '-o', out, '--replace']);
    expect(readdirSync(out).sort()).toEqual(['README.txt', 'deploy.json', 'notes.txt', 'party-0', 'party-1', 'party-2']);
    expect(readdirSync(join(out, 'party-0'))).not.toContain('public_vote.mpc');
    expect(readFileSync(join(out, 'party-0', 'run.sh'), 'utf8')).toContain('small_maxpool');
  });

  test('a wrong number of hosts, a bad input file or an unknown party are user errors, and nothing is written', async () => {
    const out = join(dir, 'bundle');
    writeFileSync(hostsFile, '10.0.0.1\n10.0.0.2\n');
    await expect(deployCli([...base(), '-o', out])).rejects.toThrow(`${hostsFile} lists 2 hosts, but replicated-ring needs exactly 3`);
    writeFileSync(hostsFile, '10.0.0.1\n10.0.0.2\n10.0.0.3\n');
    writeFileSync(model, '0.5\n'.repeat(10));
    await expect(deployCli([...base(), '-o', out, '--model-input', model])).rejects.toThrow(`${model}: 10 values, but party 1 (bob) must provide 5135`);
    await expect(deployCli([...base(), '-o', out, '--input', `carol=${video}`])).rejects.toThrow('expected PARTY=FILE with a party name or id');
    await expect(deployCli(['deploy', 'examples/small-maxpool.ppvc', '--hosts', hostsFile, '-o', out, '--protocol', 'emulate'])).rejects.toThrow('nothing to deploy');
    await expect(deployCli([...base(), '-o', out, '--protocol', 'semi2k'])).rejects.toThrow('--protocol is given more than once');
    await expect(deployCli(['deploy', 'examples/small-maxpool.ppvc', '-o', out])).rejects.toThrow('Missing required argument: hosts');
    expect(existsSync(out)).toBe(false);
  });

  test('pipeline errors are reported as diagnostics with exit status 1', async () => {
    const bad = join(dir, 'bad.ppvc');
    writeFileSync(bad, readFileSync('test/should-fail/unknown-layer.ppvc', 'utf8'));
    const r = await deployCli(['deploy', bad, '--hosts', hostsFile, '-o', join(dir, 'x'), '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).ok).toBe(false);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});

// ---- a real deployment on a private LAN ---------------------------------------------------

const home = mpSpdzHome();
const describeLan = describeUnless(noMpSpdzReason() ?? netnsUnavailable());

/** Every regular file under dir (symbolic links are not followed: they point at shared binaries). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = lstatSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

interface PartyRun {
  party: number;
  child: ChildProcess;
  out: string;
  code?: number | null;
  signal?: NodeJS.Signals | null;
}

// replicated-ring (three parties, each with its own input or none) and dealer-ring (two computing
// parties and a dealer that has no input and receives no output); PPVC_DEPLOY_PROTOCOL=NAME runs one
const DEPLOY_PROTOCOLS = (process.env['PPVC_DEPLOY_PROTOCOL'] ? [process.env['PPVC_DEPLOY_PROTOCOL']] : ['replicated-ring', 'dealer-ring']) as ProtocolName[];

for (const protocol of DEPLOY_PROTOCOLS) {
  describeLan(`deployment on a private LAN of network namespaces (${protocol})`, () => {
    jest.setTimeout(900_000);
    // PPVC_DEPLOY_EXAMPLE=examples/emotion.ppvc runs the paper's pipeline instead (compile ~20 s per party)
    const example = process.env['PPVC_DEPLOY_EXAMPLE'] ?? 'examples/small-maxpool.ppvc';
    let lan: Lan | undefined;
    let work: string;
    const runs: PartyRun[] = [];

    beforeAll(() => {
      const stale = removeStaleLans();
      if (stale.length > 0) console.warn(`removed network namespaces left by killed test runs: ${stale.join(', ')}`);
      work = tmp('lan');
    });

    afterAll(() => {
      for (const r of runs) if (r.code === undefined && r.child.pid) r.child.kill('SIGKILL');
      destroyLan(lan);
      rmSync(work, { recursive: true, force: true });
    });

    test(`${example} under ${protocol}: each party on its own host; the revealed label is the reference label`, async () => {
      const a = build(example, protocol);
      const profile = PROTOCOLS[a.pipeline.target.protocol];
      expect(profile.processes).toBeGreaterThan(1);
      lan = createLan('dep', profile.parties);
      const { values, texts } = inputsFor(a, 3);

      // the owners' input files, and the bundle the deploy command writes from them
      const owners = join(work, 'owners');
      mkdirSync(owners);
      const inputArgs: string[] = [];
      for (const [id, text] of texts) {
        writeFileSync(join(owners, `p${id}.txt`), text);
        inputArgs.push('--input', `${id}=${join(owners, `p${id}.txt`)}`);
      }
      writeFileSync(join(work, 'hosts.txt'), lan.hosts.map((h) => h.ip).join('\n') + '\n');
      const bundle = join(work, 'bundle');
      await deployCli(['deploy', example, '--protocol', protocol, '--hosts', join(work, 'hosts.txt'), '-o', bundle, ...inputArgs]);

      // each host receives only its own party directory and has its own MP-SPDZ
      const t0 = Date.now();
      const hostDirs = lan.hosts.map((_, i) => {
        const hostDir = join(work, `host-${i}`);
        cpSync(join(bundle, `party-${i}`), join(hostDir, 'bundle'), { recursive: true });
        installMpSpdz(home!, join(hostDir, 'mp-spdz'), [profile.binary]);
        return hostDir;
      });
      const envOf = (i: number) => ({ ...process.env, MP_SPDZ_HOME: join(hostDirs[i]!, 'mp-spdz') });

      // steps 2-5 on every host, inside its namespace (in parallel: the parties compile the same program)
      const setups = await Promise.all(
        lan.hosts.map(
          (h, i) =>
            new Promise<{ code: number | null; out: string }>((resolve) => {
              const c = spawn('ip', ['netns', 'exec', h.ns, 'sh', join(hostDirs[i]!, 'bundle', 'setup.sh')], { env: envOf(i) });
              let out = '';
              c.stdout.on('data', (d) => (out += d));
              c.stderr.on('data', (d) => (out += d));
              c.on('close', (code) => resolve({ code, out }));
            }),
        ),
      );
      setups.forEach((s, i) => expect([i, s.code, s.code === 0 ? '' : s.out]).toEqual([i, 0, '']));
      const setupSeconds = (Date.now() - t0) / 1000;
      const bytecode = (i: number) => readFileSync(join(hostDirs[i]!, 'mp-spdz', 'Programs', 'Bytecode', `${a.pipeline.name}-0.bc`));
      for (let i = 1; i < hostDirs.length; i++) expect(bytecode(i).equals(bytecode(0))).toBe(true);

      // step 6: only certificates travel
      for (let i = 0; i < hostDirs.length; i++) {
        for (let j = 0; j < hostDirs.length; j++) {
          if (i !== j) copyFileSync(join(hostDirs[j]!, 'mp-spdz', 'Player-Data', `P${j}.pem`), join(hostDirs[i]!, 'mp-spdz', 'Player-Data', `P${j}.pem`));
        }
      }

      // no host holds another party's input or key, under any name
      const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
      const secrets = new Map<string, string>();
      for (const [id] of texts) secrets.set(digest(join(owners, `p${id}.txt`)), `input of party ${id}`);
      for (let j = 0; j < hostDirs.length; j++) secrets.set(digest(join(hostDirs[j]!, 'mp-spdz', 'Player-Data', `P${j}.key`)), `key of party ${j}`);
      hostDirs.forEach((hostDir, i) => {
        for (const f of filesUnder(hostDir)) {
          const what = secrets.get(digest(f));
          if (what && what !== `input of party ${i}` && what !== `key of party ${i}`) throw new Error(`host ${i} holds the ${what}: ${relative(work, f)}`);
        }
      });

      // step 7: every party's run.sh in its own namespace, at the same time
      const before = lan.hosts.map((h) => portCounters(lan!, h));
      const t1 = Date.now();
      lan.hosts.forEach((h, i) => {
        const child = spawn('ip', ['netns', 'exec', h.ns, join(hostDirs[i]!, 'bundle', 'run.sh')], { env: envOf(i) });
        const r: PartyRun = { party: i, child, out: '' };
        child.stdout!.on('data', (d) => (r.out += d));
        child.stderr!.on('data', (d) => (r.out += d));
        runs.push(r);
      });
      const deadline = setTimeout(() => runs.forEach((r) => r.child.kill('SIGKILL')), 600_000);
      await Promise.all(
        runs.map(
          (r) =>
            new Promise<void>((resolve) =>
              r.child.on('close', (code, signal) => {
                r.code = code;
                r.signal = signal;
                // one party failing stops the others
                if (code !== 0) runs.forEach((o) => o.code === undefined && o.child.kill('SIGKILL'));
                resolve();
              }),
            ),
        ),
      );
      clearTimeout(deadline);
      const runSeconds = (Date.now() - t1) / 1000;
      for (const r of runs) expect([r.party, r.code, r.code === 0 ? '' : r.out.split('\n').slice(-15).join('\n')]).toEqual([r.party, 0, '']);

      // the parties talked through the switch: each sent about what MP-SPDZ says it sent
      const figures = parseRunLogs(runs.map((r) => r.out));
      const after = lan.hosts.map((h) => portCounters(lan!, h));
      lan.hosts.forEach((_, i) => {
        const sentMB = (after[i]!.rx - before[i]!.rx) / 1e6;
        expect(sentMB).toBeGreaterThanOrEqual(figures.parties[i]!.dataSentMB ?? 0);
      });

      const reference = await evaluateReference(a.pipeline, a.inputs, values);
      const label = figures.outputs[a.pipeline.aggregation.labelName];
      console.log(
        JSON.stringify({
          example, protocol, hosts: lan.hosts.map((h) => h.ip), secureLabel: label, referenceLabel: reference.label,
          setupSeconds, runSeconds, partySeconds: figures.parties.map((p) => p.seconds), dataSentMB: figures.parties.map((p) => p.dataSentMB),
          switchMB: lan.hosts.map((_, i) => ((after[i]!.rx - before[i]!.rx) / 1e6).toFixed(3)),
        }),
      );
      expect(label).toBe(String(reference.label));
      // party 0 (alice) receives the label; the others print nothing revealed
      expect(Object.keys(parseRunLogs([runs[1]!.out]).outputs)).toEqual([]);
    });
  });
}
