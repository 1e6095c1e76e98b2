// `ppvc-dsl deploy`: one directory per party with exactly what that party needs to run a
// pipeline on its own machine: the program, ml.py.patch, inputs.json, the HOSTS file
// (MP-SPDZ's -ip file), its own input file if it was given (never another party's), the
// certificate steps and the party command. `deployBundle` is pure; `writeBundle` writes.
//
// MP-SPDZ conventions used (0.4.2): `-ip FILE` lists one host per line in party order,
// `host` or `host:port`, lines starting with '#' skipped (Networking/Player.cpp); without a
// port, party i listens on `-pn` base + i. TLS: Player-Data/P<i>.key and P<i>.pem with
// common name P<i>, the other parties' P<j>.pem in Player-Data, and `c_rehash Player-Data`
// (README "Secure channels", Scripts/setup-ssl.sh).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError, errorAt } from '../diagnostics.js';
import type { BuildArtifacts } from '../emit/artifacts.js';
import type { Pipeline } from '../ir/pipeline.js';
import { compileCommand } from '../emit/commands.js';
import { helperBlocks } from '../emit/ml-patch.js';
import { readValues, formatValues } from '../inputs/text-format.js';
import { refuseFileWithoutInput, validatePartyInput } from '../inputs/validate.js';
import { PROTOCOLS, PROTOCOL_NAMES, partyFlags } from '../target/protocols.js';
import { assertBoundsHold } from '../simulate/declared-bounds.js';
import { cannotWrite, ensureDir, writeFileAtomic } from '../util/files.js';
import { DEFAULT_CONNECT_TIMEOUT, RENDEZVOUS_PY } from './rendezvous.js';

export const DEFAULT_PORT_BASE = 14000;

/** One line of a hosts file: a host name or IPv4 address, optionally with a port. */
export interface HostEntry {
  host: string;
  port?: number;
}

export interface DeployOptions {
  /** `-pn`: party i listens on portBase + i unless its host names a port (default 14000). */
  portBase?: number;
  /** Party id -> the text of its input file (validated); it goes into that party's directory only. */
  inputs?: ReadonlyMap<number, string>;
  /** Where the hosts came from, for messages (default 'hosts'). */
  hostsSource?: string;
  /** Party id -> further files (name -> text) for that party's directory only, e.g. the model owner's calibration record. */
  privateFiles?: ReadonlyMap<number, Record<string, string>>;
}

/** One party of a deployment, as deploy.json and the command's output describe it. */
export interface DeployedParty {
  party: number;
  name: string;
  host: string;
  port: number;
  directory: string;
  /** The party command, run from the MP-SPDZ directory (HOSTS is this party's directory's HOSTS). */
  command: string[];
  /** Tensors this party provides (empty: none). */
  provides: string[];
  /** Whether its input file is in its directory. */
  inputBundled: boolean;
}

export interface DeployManifest {
  pipeline: string;
  protocol: string;
  parties: DeployedParty[];
  compile: string;
  programSha256: string;
  mlPatchSha256?: string;
  /** Every file of the bundle (relative paths), for --replace to replace an earlier one. */
  files: string[];
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses one host entry (`host` or `host:port`); returns a message instead if it is not one. */
export function parseHostEntry(text: string): HostEntry | string {
  const s = text.trim();
  if (s === '') return 'an empty host';
  if (/\s/.test(s)) return `'${s}' holds white space: one host per line`;
  if (s.includes('@') || s.includes('/')) return `'${s}' is not a host: [user@]host[/path] is the format of Scripts/compile-run.py, the -ip file takes host or host:port`;
  if (s.startsWith('[') || (s.match(/:/g) ?? []).length > 1) {
    return `'${s}' looks like an IPv6 address: MP-SPDZ's -ip file splits at the first ':', so use a host name that resolves to it`;
  }
  const colon = s.indexOf(':');
  const host = colon < 0 ? s : s.slice(0, colon);
  let port: number | undefined;
  if (colon >= 0) {
    const p = s.slice(colon + 1);
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) return `'${s}': the port '${p}' is not a number from 1 to 65535`;
    port = Number(p);
  }
  const ip = IPV4.exec(host);
  if (ip) {
    if (ip.slice(1).some((o) => Number(o) > 255)) return `'${host}' is not an IPv4 address`;
  } else if (!HOST_NAME.test(host) || /^[\d.]+$/.test(host)) {
    return `'${host}' is not a host name or IPv4 address`;
  }
  return port === undefined ? { host } : { host, port };
}

/**
 * Reads a hosts file: one host (IP or name, optionally :port) per line, in party order;
 * `#` starts a comment; blank lines are skipped. Every malformed line is reported.
 */
export function parseHostsFile(text: string, source = 'hosts'): string[] {
  const out: string[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const e = parseHostEntry(line);
    if (typeof e === 'string') errors.push(`${source}:${i + 1}: ${e}`);
    else out.push(e.port === undefined ? e.host : `${e.host}:${e.port}`);
  });
  if (errors.length > 0) throw new UserError(errors.map((m) => errorAt(undefined, m)));
  return out;
}

export function partyName(p: Pipeline, id: number): string {
  return p.parties.find((x) => x.id === id)?.name ?? `party${id}`;
}

function printsBeyondParty0(p: Pipeline): boolean {
  return p.reveals.some((r) => r.to.some((t) => t.id !== 0));
}

/** `./<binary> -p <i> -ip <hosts> [-N n] -pn <base> [-OF .] <program>`, run from the MP-SPDZ directory. */
export function deployPartyCommand(p: Pipeline, party: number, hostsPath = 'HOSTS', portBase = DEFAULT_PORT_BASE): string[] {
  const profile = PROTOCOLS[p.target.protocol];
  const argv = [`./${profile.binary}`, '-p', String(party), '-ip', hostsPath];
  // the dishonest-majority binaries take any number of parties and need to be told
  if (profile.corruption === 'dishonest majority') argv.push('-N', String(profile.parties));
  argv.push('-pn', String(portBase), ...partyFlags(profile, p.target.ringBits));
  if (printsBeyondParty0(p)) argv.push('-OF', '.');
  argv.push(p.name);
  return argv;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Checks the hosts against the protocol: exactly one per party, valid, no two parties on one host:port. */
function checkHosts(p: Pipeline, hosts: string[], portBase: number, source: string): HostEntry[] {
  const profile = PROTOCOLS[p.target.protocol];
  if (profile.processes === 1) {
    const separate = PROTOCOL_NAMES.filter((n) => PROTOCOLS[n].processes > 1).join(', ');
    throw new UserError(`${profile.name} runs every party in one process (in the clear): there is nothing to deploy; choose a protocol with separate parties (--protocol ${separate})`);
  }
  if (!Number.isInteger(portBase) || portBase < 1 || portBase + profile.parties - 1 > 65535) {
    throw new UserError(`--port ${portBase}: party ports ${portBase}..${portBase + profile.parties - 1} must lie between 1 and 65535`);
  }
  const entries: HostEntry[] = [];
  const errors: string[] = [];
  hosts.forEach((h, i) => {
    const e = parseHostEntry(h);
    if (typeof e === 'string') errors.push(`${source}: host ${i + 1}: ${e}`);
    else entries.push(e);
  });
  if (errors.length > 0) throw new UserError(errors.map((m) => errorAt(undefined, m)));
  const names = Array.from({ length: profile.parties }, (_, i) => `${i} ${partyName(p, i)}`);
  if (entries.length !== profile.parties) {
    throw new UserError(
      errorAt(undefined, `${source} lists ${entries.length} host${entries.length === 1 ? '' : 's'}, but ${profile.name} needs exactly ${profile.parties}: one per party, in party order`, {
        expected: `${profile.parties} lines, for the parties ${names.join(', ')}`,
        found: entries.length === 0 ? 'no hosts' : entries.map((e) => (e.port ? `${e.host}:${e.port}` : e.host)).join(', '),
      }),
    );
  }
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const key = `${e.host.toLowerCase()}:${e.port ?? portBase + i}`;
    const other = seen.get(key);
    if (other !== undefined) errors.push(`${source}: parties ${other} and ${i} would both listen on ${key}`);
    seen.set(key, i);
  });
  if (errors.length > 0) throw new UserError(errors.map((m) => errorAt(undefined, m)));
  return entries;
}

/**
 * The files of a deployment: `party-<i>/` for each party (README.txt, HOSTS, run.sh,
 * setup.sh, <pipeline>.mpc, ml.py.patch, inputs.json and, if given, its own Input-P<i>-0),
 * plus README.txt and deploy.json at the top. Relative path -> content. Pure.
 */
export function deployBundle(a: BuildArtifacts, hosts: string[], opts: DeployOptions = {}): Record<string, string> {
  const p = a.pipeline;
  const profile = PROTOCOLS[p.target.protocol];
  const portBase = opts.portBase ?? DEFAULT_PORT_BASE;
  const source = opts.hostsSource ?? 'hosts';
  const entries = checkHosts(p, hosts, portBase, source);
  const inputs = opts.inputs ?? new Map<number, string>();
  for (const id of inputs.keys()) {
    const plan = a.inputs.parties.find((x) => x.party === id);
    if (!plan || plan.tensors.length === 0) {
      throw new UserError(`an input file was given for party ${id} (${partyName(p, id)}), which provides no input to ${p.name}`);
    }
  }
  const hostsText = entries.map((e) => (e.port ? `${e.host}:${e.port}` : e.host)).join('\n') + '\n';
  const program = `${p.name}.mpc`;
  const inputsJson = a.files['inputs.json'] ?? JSON.stringify(a.inputs, null, 2) + '\n';
  const parties: DeployedParty[] = entries.map((e, i) => {
    const plan = a.inputs.parties.find((x) => x.party === i);
    return {
      party: i,
      name: partyName(p, i),
      host: e.host,
      port: e.port ?? portBase + i,
      directory: `party-${i}`,
      command: deployPartyCommand(p, i, 'HOSTS', portBase),
      provides: plan?.tensors.map((t) => t.name) ?? [],
      inputBundled: inputs.has(i),
    };
  });
  const files: Record<string, string> = {};
  for (const party of parties) {
    const d = party.directory;
    files[`${d}/README.txt`] = partyReadme(a, party, parties, portBase);
    files[`${d}/HOSTS`] = hostsText;
    files[`${d}/run.sh`] = runScript(a, party, portBase);
    files[`${d}/setup.sh`] = setupScript(a, party);
    files[`${d}/${program}`] = a.program;
    if (a.mlPatch) files[`${d}/ml.py.patch`] = a.mlPatch;
    files[`${d}/inputs.json`] = inputsJson;
    const own = inputs.get(party.party);
    if (own !== undefined) files[`${d}/Input-P${party.party}-0`] = own;
    for (const [name, text] of Object.entries(opts.privateFiles?.get(party.party) ?? {})) files[`${d}/${name}`] = text;
  }
  files['README.txt'] = topReadme(a, parties);
  const manifest: DeployManifest = {
    pipeline: p.name,
    protocol: profile.name,
    parties,
    compile: compileCommand(p).join(' '),
    programSha256: sha256(a.program),
    mlPatchSha256: a.mlPatch ? sha256(a.mlPatch) : undefined,
    files: [...Object.keys(files), 'deploy.json'].sort(),
  };
  files['deploy.json'] = JSON.stringify(manifest, null, 2) + '\n';
  return files;
}

/**
 * Reads and validates input files (party id -> path) against the plan, exactly as `run` does,
 * and returns each party's file in MP-SPDZ's text format.
 */
export function readDeployInputs(a: BuildArtifacts, files: ReadonlyMap<number, string>): Map<number, string> {
  const out = new Map<number, string>();
  const read = new Map<number, Float32Array>();
  for (const [id, path] of [...files.entries()].sort(([x], [y]) => x - y)) {
    refuseFileWithoutInput(a.pipeline, a.inputs, id, path);
    const plan = a.inputs.parties.find((x) => x.party === id)!;
    const values = readValues(path);
    validatePartyInput(path, plan, values, a.pipeline.target);
    read.set(id, values);
    out.set(id, formatValues(values));
  }
  // the model owner's weights must keep the declared bounds, as run checks them
  const owner = a.inputs.parties.find((x) => x.tensors.some((t) => t.role === 'parameter'));
  if (owner && read.has(owner.party)) assertBoundsHold(a.pipeline, a.inputs, read, files.get(owner.party)!);
  return out;
}

/** Permissions of a bundle file: scripts executable, private inputs readable by their owner only. */
export function fileMode(relative: string): number {
  const name = basename(relative);
  if (name.endsWith('.sh')) return 0o755;
  // private inputs, and what the model owner's weights did on its calibration videos
  if (/^Input-P\d+-\d+$/.test(name) || name === 'calibration.json') return 0o600;
  return 0o644;
}

function isEmptyDir(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

/**
 * Writes a bundle into `dir`. A new or empty `dir` receives the whole bundle at once (written
 * next to it, then renamed into place); a non-empty one is refused unless `replace`, which
 * replaces the files one by one (each atomically) and removes the files of an earlier
 * deployment there (its deploy.json lists them) that this one lacks. Returns the paths written.
 */
export function writeBundle(dir: string, files: Record<string, string>, opts: { replace?: boolean } = {}): string[] {
  const target = resolve(dir);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new UserError(`${dir}: exists and is not a directory`);
  const fresh = !existsSync(target) || isEmptyDir(target);
  if (!fresh && !opts.replace) {
    throw new UserError(
      errorAt(undefined, `${dir} is not empty`, { hints: ['choose a new directory with -o, or pass --replace to replace the deployment files there (--force, as on every command, only builds past the memory estimate)'] }),
    );
  }
  const names = Object.keys(files).sort();
  const privateDirs = new Set(names.filter((n) => fileMode(n) === 0o600).map((n) => dirname(n)));
  ensureDir(dirname(target));
  if (fresh) {
    let staging: string;
    try {
      staging = mkdtempSync(join(dirname(target), `.${basename(target)}.deploy-`));
    } catch (e) {
      throw cannotWrite(dir, e);
    }
    try {
      for (const name of names) {
        const path = join(staging, name);
        mkdirSync(dirname(path), { recursive: true });
        writeFileAtomic(path, files[name]!);
        chmodSync(path, fileMode(name));
      }
      for (const d of privateDirs) chmodSync(join(staging, d), 0o700);
      chmodSync(staging, privateDirs.size > 0 ? 0o700 : 0o755);
      if (existsSync(target)) rmdirSync(target);
      renameSync(staging, target);
    } catch (e) {
      rmSync(staging, { recursive: true, force: true });
      throw e;
    }
  } else {
    const previous = join(target, 'deploy.json');
    let stale: string[] = [];
    if (existsSync(previous)) {
      try {
        const m = JSON.parse(readFileSync(previous, 'utf8')) as Partial<DeployManifest>;
        stale = (m.files ?? []).filter((f) => typeof f === 'string' && !(f in files) && !f.split('/').includes('..'));
      } catch {
        stale = [];
      }
    }
    for (const name of names) {
      const path = join(target, name);
      writeFileAtomic(path, files[name]!);
      chmodSync(path, fileMode(name));
    }
    for (const d of privateDirs) chmodSync(join(target, d), 0o700);
    for (const f of stale) rmSync(join(target, f), { force: true });
    for (const d of new Set(stale.map((f) => dirname(f)).filter((d) => d !== '.'))) {
      const path = join(target, d);
      if (existsSync(path) && isEmptyDir(path)) rmdirSync(path);
    }
  }
  return names.map((n) => join(target, n));
}

// ---- the texts -------------------------------------------------------------------------

function describeProtocol(a: BuildArtifacts): string {
  const profile = PROTOCOLS[a.pipeline.target.protocol];
  return `${profile.name} (${profile.parties} parties, ${profile.security}, ${profile.corruption})`;
}

function receivers(p: Pipeline): string[] {
  return p.reveals.map((r) => `${r.name} to ${r.to.map((t) => `party ${t.id} (${t.name})`).join(', ')}`);
}

function topReadme(a: BuildArtifacts, parties: DeployedParty[]): string {
  const p = a.pipeline;
  const lines = [
    `ppvc-dsl deployment of ${p.name} under ${describeProtocol(a)}`,
    '',
    'Send each directory to its party, and only to that party:',
    ...parties.map((x) => `  party-${x.party}/  -> party ${x.party} (${x.name}) at ${x.host}, port ${x.port}${x.inputBundled ? `   holds its PRIVATE input Input-P${x.party}-0` : ''}`),
    '',
    'Each directory is complete: its README.txt lists that party\'s steps. Every party compiles the',
    'same program with the same command; the parties exchange only their certificates (.pem files).',
  ];
  if (parties.some((x) => x.inputBundled)) {
    lines.push('', 'This directory holds private inputs of the parties listed above: do not send it as a whole.');
  }
  lines.push('', `Revealed: ${receivers(p).join('; ') || 'nothing'}.`, '');
  return lines.join('\n');
}

// Long: one party's README, step by step in the order the party follows it: a text template.
function partyReadme(a: BuildArtifacts, me: DeployedParty, parties: DeployedParty[], portBase: number): string {
  const p = a.pipeline;
  const profile = PROTOCOLS[p.target.protocol];
  const i = me.party;
  const program = `${p.name}.mpc`;
  const plan = a.inputs.parties.find((x) => x.party === i);
  const others = parties.filter((x) => x.party !== i);
  const blocks = helperBlocks(a.helpers);
  const L: string[] = [];
  const step = (n: number, title: string) => L.push('', `Step ${n}. ${title}`);
  L.push(
    `ppvc-dsl deployment: pipeline ${p.name}, protocol ${describeProtocol(a)}`,
    '',
    `You are party ${i} (${me.name}) at ${me.host}; you listen on TCP port ${me.port}.`,
    '',
    'The parties (the order of HOSTS):',
    ...parties.map((x) => `  party ${x.party} (${x.name.padEnd(8)})  ${`${x.host}:${x.port}`.padEnd(24)} provides ${x.provides.length ? x.provides.join(', ') : 'no input'}${x.party === i ? '   <- you' : ''}`),
    '',
    `Revealed: ${receivers(p).join('; ') || 'nothing'}.`,
    '',
    'This directory:',
  );
  const listing: [string, string][] = [
    ['README.txt', 'these steps'],
    ['HOSTS', "the parties' addresses in party order (MP-SPDZ's -ip file: host or host:port per line)"],
    [program, `the program; identical for every party (sha256 ${sha256(a.program)})`],
  ];
  if (a.mlPatch) listing.push(['ml.py.patch', `helpers the program needs in MP-SPDZ's Compiler/ml.py (sha256 ${sha256(a.mlPatch)})`]);
  listing.push(['inputs.json', "the layout of every party's input file (shapes only, no data)"]);
  if (me.inputBundled) listing.push([`Input-P${i}-0`, 'YOUR PRIVATE INPUT: never send it to anyone']);
  listing.push(['setup.sh', 'steps 2 to 5 below as a script'], ['run.sh', 'step 7: checks the steps were done, then runs the party command']);
  const width = Math.max(...listing.map(([n]) => n.length)) + 2;
  for (const [n, what] of listing) L.push(`  ${n.padEnd(width)}${what}`);
  // the commands below name files by these two variables only, so they work from any directory
  // (run.sh reads MP_SPDZ_HOME from the environment: hence export)
  L.push(
    '',
    'Every command below names its files through two variables; set them first, in this directory, in the',
    'shell you then use for all the steps (replace /path/to/MP-SPDZ with your MP-SPDZ directory, step 1):',
    '    export MP_SPDZ_HOME=/path/to/MP-SPDZ',
    '    export BUNDLE="$(pwd)"',
  );

  step(1, 'Install MP-SPDZ');
  L.push(
    '  Install MP-SPDZ 0.4.2 (or newer) by its own instructions (its README, "TL;DR (source distribution)");',
    '  every party must use the same version. Build this protocol\'s party binary in it:',
    `    cd "$MP_SPDZ_HOME" && make -j4 ${profile.binary}`,
  );

  step(2, 'Add the helpers the program needs to Compiler/ml.py');
  if (a.mlPatch) {
    L.push(
      // -r - and --no-backup-if-mismatch: no .rej or .orig beside ml.py where the hunk lands at an offset (master)
      '    cd "$MP_SPDZ_HOME" && patch -p1 -N -r - --no-backup-if-mismatch < "$BUNDLE/ml.py.patch"',
      '  Skip this if Compiler/ml.py already holds exactly these helpers (an earlier deployment), i.e. it contains:',
      ...blocks.map((b) => `    ${b.begin}`),
      '  If it holds other "# >>> ppvc-dsl helper" blocks, restore upstream ml.py first (git checkout Compiler/ml.py).',
    );
  } else {
    L.push('  Nothing to do: this program needs no helpers.');
  }

  step(3, 'Place the program and compile it (every party compiles the same program with the same command)');
  L.push(
    `    cp "$BUNDLE/${program}" "$MP_SPDZ_HOME/Programs/Source/${program}"`,
    `    cd "$MP_SPDZ_HOME" && ${compileCommand(p).join(' ')}`,
  );

  step(4, 'Create your own key and certificate (Scripts/setup-ssl.sh\'s conventions, for you alone)');
  L.push(
    '    cd "$MP_SPDZ_HOME" && mkdir -p Player-Data',
    `    openssl req -newkey rsa -nodes -x509 -out Player-Data/P${i}.pem -keyout Player-Data/P${i}.key -subj "/CN=P${i}"`,
    `    chmod 600 Player-Data/P${i}.key`,
    `  Player-Data/P${i}.key is your secret key: it never leaves this machine. Do not use Scripts/setup-ssl.sh here:`,
    '  it creates keys for every party on one machine.',
  );

  step(5, 'Your input');
  if (!plan || plan.tensors.length === 0) {
    L.push('  None: you provide no input; you take part in the computation only.');
  } else {
    const what = `${plan.elements} numbers: ${plan.tensors.map((t) => `${t.name} ${JSON.stringify(t.shape)}`).join(', ')}`;
    if (me.inputBundled) {
      L.push(
        `  Input-P${i}-0 in this directory is your input (${what}).`,
        `    cp "$BUNDLE/Input-P${i}-0" "$MP_SPDZ_HOME/Player-Data/Input-P${i}-0" && chmod 600 "$MP_SPDZ_HOME/Player-Data/Input-P${i}-0"`,
      );
    } else {
      L.push(
        `  Write your input file (${what}; the order and layout are in inputs.json, party ${i})`,
        `  to $MP_SPDZ_HOME/Player-Data/Input-P${i}-0, readable by you only (chmod 600). It is not in this bundle.`,
      );
    }
  }

  step(6, 'Exchange certificates (only the .pem files)');
  L.push(
    `  Send Player-Data/P${i}.pem to the other parties. Let them check it is yours: compare its fingerprint`,
    `    openssl x509 -noout -fingerprint -sha256 -in "$MP_SPDZ_HOME/Player-Data/P${i}.pem"`,
    '  over another channel (a call). Put the certificates you receive, after checking theirs, in Player-Data:',
    ...others.map((x) => `    $MP_SPDZ_HOME/Player-Data/P${x.party}.pem   from party ${x.party} (${x.name}, ${x.host})`),
    '  Then let OpenSSL find them:',
    '    cd "$MP_SPDZ_HOME" && c_rehash Player-Data',
  );

  step(7, 'Run');
  L.push(
    `  Allow incoming TCP connections on port ${me.port} from ${others.map((x) => x.host).join(', ')}. All parties start at about`,
    '  the same time; each waits for the others.',
    '    "$BUNDLE/run.sh"',
    '  It checks the steps above were done, reruns c_rehash, and runs, from $MP_SPDZ_HOME:',
    `    ${deployPartyCommand(p, i, '"$BUNDLE/HOSTS"', portBase).join(' ')}`,
  );
  const mine = p.reveals.filter((r) => r.to.some((t) => t.id === i)).map((r) => r.name);
  if (mine.length > 0) L.push(`  It prints ${mine.join(', ')} (e.g. "${mine[0]}: 3") when the computation ends.`);
  else L.push('  You receive no output; the run ends when the computation does.');
  L.push('');
  return L.join('\n');
}

function runScript(a: BuildArtifacts, me: DeployedParty, portBase: number): string {
  const p = a.pipeline;
  const profile = PROTOCOLS[p.target.protocol];
  const i = me.party;
  const plan = a.inputs.parties.find((x) => x.party === i);
  const all = Array.from({ length: profile.parties }, (_, k) => k).join(' ');
  const argv = deployPartyCommand(p, i, '"$bundle/HOSTS"', portBase);
  return [
    '#!/bin/sh',
    `# ppvc-dsl deployment of ${p.name} under ${profile.name}: party ${i} (${me.name}).`,
    '# Step 7 of README.txt: checks steps 1-6 were done, then runs the party from $MP_SPDZ_HOME.',
    'set -eu',
    'bundle=$(cd "$(dirname "$0")" && pwd)',
    ': "${MP_SPDZ_HOME:?set MP_SPDZ_HOME to your MP-SPDZ directory (README.txt, step 1)}"',
    'cd "$MP_SPDZ_HOME"',
    'missing() { echo "run.sh: $1 is missing: $2 (README.txt)" >&2; exit 1; }',
    `test -x ./${profile.binary} || missing "$MP_SPDZ_HOME/${profile.binary}" "build it, step 1"`,
    `test -f Programs/Schedules/${p.name}.sch || missing "the compiled program Programs/Schedules/${p.name}.sch" "step 3"`,
    `test -f Player-Data/P${i}.key || missing "your key Player-Data/P${i}.key" "step 4"`,
    ...(plan && plan.tensors.length > 0 ? [`test -f Player-Data/Input-P${i}-0 || missing "your input Player-Data/Input-P${i}-0" "step 5"`] : []),
    `for j in ${all}; do test -f "Player-Data/P$j.pem" || missing "the certificate Player-Data/P$j.pem" "step 6"; done`,
    'if command -v c_rehash >/dev/null 2>&1; then c_rehash Player-Data >/dev/null; else openssl rehash Player-Data; fi',
    ...connectionCheck(a, i, portBase),
    `exec ${argv.join(' ')} "$@"`,
    '',
  ].join('\n');
}

/**
 * run.sh's wait for the other parties (src/backend/rendezvous.ts): at most PPVC_CONNECT_TIMEOUT
 * seconds, then an error naming each party not reached, its HOSTS line and what to check.
 */
function connectionCheck(a: BuildArtifacts, me: number, portBase: number): string[] {
  const profile = PROTOCOLS[a.pipeline.target.protocol];
  const names = Array.from({ length: profile.parties }, (_, k) => partyName(a.pipeline, k)).join(',');
  return [
    `# Wait for the other parties (up to PPVC_CONNECT_TIMEOUT seconds, default ${DEFAULT_CONNECT_TIMEOUT}), naming any not`,
    '# reached: MP-SPDZ alone gives up after 60 s without saying which party is missing.',
    'if command -v python3 >/dev/null 2>&1; then',
    `  python3 - "$bundle/HOSTS" ${me} ${portBase} ${profile.parties} "\${PPVC_CONNECT_TIMEOUT:-${DEFAULT_CONNECT_TIMEOUT}}" ${names} <<'PY' || exit $?`,
    RENDEZVOUS_PY.trimEnd(),
    'PY',
    'else',
    '  echo "run.sh: python3 not found: starting without first checking that the other parties are reachable" >&2',
    'fi',
  ];
}

function setupScript(a: BuildArtifacts, me: DeployedParty): string {
  const p = a.pipeline;
  const profile = PROTOCOLS[p.target.protocol];
  const i = me.party;
  const program = `${p.name}.mpc`;
  const plan = a.inputs.parties.find((x) => x.party === i);
  const blocks = helperBlocks(a.helpers);
  const others = Array.from({ length: profile.parties }, (_, k) => k).filter((k) => k !== i);
  const L = [
    '#!/bin/sh',
    `# ppvc-dsl deployment of ${p.name} under ${profile.name}: party ${i} (${me.name}).`,
    '# Steps 2 to 5 of README.txt in $MP_SPDZ_HOME: helpers, program, compile, your key, your input.',
    'set -eu',
    'bundle=$(cd "$(dirname "$0")" && pwd)',
    ': "${MP_SPDZ_HOME:?set MP_SPDZ_HOME to your MP-SPDZ directory (README.txt, step 1)}"',
    'cd "$MP_SPDZ_HOME"',
    'test -f compile.py && test -f Compiler/ml.py || { echo "setup.sh: $MP_SPDZ_HOME is not an MP-SPDZ directory" >&2; exit 1; }',
  ];
  if (a.mlPatch) {
    L.push(
      '# step 2',
      `if ${blocks.map((b) => `grep -qxF '${b.begin}' Compiler/ml.py`).join(' && ')}; then`,
      '  echo "step 2: Compiler/ml.py already has the helpers"',
      "elif grep -q '^# >>> ppvc-dsl helper' Compiler/ml.py; then",
      '  echo "setup.sh: Compiler/ml.py holds other ppvc-dsl helpers; restore upstream ml.py (git checkout Compiler/ml.py) and rerun" >&2; exit 1',
      'else',
      '  patch -p1 --forward -r - --no-backup-if-mismatch < "$bundle/ml.py.patch"',
      'fi',
    );
  }
  L.push(
    '# step 3',
    'mkdir -p Programs/Source',
    `cp "$bundle/${program}" Programs/Source/${program}`,
    `PYTHONDONTWRITEBYTECODE=1 ${compileCommand(p).join(' ')}`,
    '# step 4',
    'mkdir -p Player-Data',
    `if test -f Player-Data/P${i}.key && test -f Player-Data/P${i}.pem; then`,
    `  echo "step 4: keeping your key Player-Data/P${i}.key (remove it and rerun for a new one)"`,
    'else',
    `  openssl req -newkey rsa -nodes -x509 -out Player-Data/P${i}.pem -keyout Player-Data/P${i}.key -subj "/CN=P${i}" 2>/dev/null`,
    `  chmod 600 Player-Data/P${i}.key`,
    'fi',
    '# step 5',
  );
  if (plan && plan.tensors.length > 0) {
    if (me.inputBundled) {
      L.push(
        `cp "$bundle/Input-P${i}-0" Player-Data/Input-P${i}-0`,
        `chmod 600 Player-Data/Input-P${i}-0`,
      );
    } else {
      L.push(`test -f Player-Data/Input-P${i}-0 || echo "step 5: put your input in $MP_SPDZ_HOME/Player-Data/Input-P${i}-0 (inputs.json, party ${i})"`);
    }
  }
  L.push(
    'echo',
    `echo "step 6: send $MP_SPDZ_HOME/Player-Data/P${i}.pem (never P${i}.key) to the other parties; its fingerprint:"`,
    `openssl x509 -noout -fingerprint -sha256 -in Player-Data/P${i}.pem`,
    `echo "put theirs in $MP_SPDZ_HOME/Player-Data: ${others.map((k) => `P${k}.pem`).join(' ')}; then run $bundle/run.sh"`,
    '',
  );
  return L.join('\n');
}
