// Runs every party of a compiled program on this machine (party binaries started directly,
// so that a failing party stops the others and none is left behind) and reads the results
// MP-SPDZ prints: the revealed outputs, time, data sent, rounds and the per-stage timers.
import { existsSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { EnvironmentError } from '../diagnostics.js';
import type { Pipeline } from '../ir/pipeline.js';
import { PROTOCOLS, partyFlags } from '../target/protocols.js';
import type { MpSpdz } from './mp-spdz.js';

export interface PartyFigures {
  party: number;
  seconds?: number;
  dataSentMB?: number;
  rounds?: number;
  globalDataSentMB?: number;
}

export interface RunResult {
  /** name -> printed value, e.g. label -> "3". */
  outputs: Record<string, string>;
  wallSeconds: number;
  parties: PartyFigures[];
  timers: { timer: number; seconds: number; mb: number; rounds: number }[];
  logs: string[];
}

/**
 * A base port for the parties (they listen on base + party id), below Linux's ephemeral range
 * (32768 and up): a port there may be the local end of any outgoing connection on the machine,
 * and then party 0 cannot listen on it while the others' connections are refused (seen in CI,
 * rep4-ring: "cannot connect … Connection refused" for 60 s).
 */
export function randomBasePort(): number {
  return 20000 + Math.floor(Math.random() * 12000);
}

export async function ensureCertificates(mp: MpSpdz, parties: number): Promise<void> {
  const missing = Array.from({ length: parties }, (_, i) => join(mp.root, 'Player-Data', `P${i}.pem`)).some((f) => !existsSync(f));
  if (!missing) return;
  const hint = `or create them yourself: (cd ${mp.root} && Scripts/setup-ssl.sh ${Math.max(parties, 4)})`;
  if (!existsSync(join(mp.root, 'Scripts', 'setup-ssl.sh'))) {
    throw new EnvironmentError(`the parties' certificates Player-Data/P<i>.pem are missing and Scripts/setup-ssl.sh, which makes them, is not found in ${mp.root}`, [hint]);
  }
  const r = await execa('Scripts/setup-ssl.sh', [String(Math.max(parties, 4))], { cwd: mp.root, reject: false, all: true });
  if (r.exitCode !== 0) throw new EnvironmentError(`Scripts/setup-ssl.sh failed in ${mp.root} (${r.exitCode ?? r.signal ?? 'not started'}):\n${r.all || r.shortMessage}`, [hint]);
}

export interface LocalRunOptions {
  inputPrefix: string;
  /** The first base port tried (default: $PPVC_DSL_PORT, else random); party i listens on base + i. */
  port?: number;
  timeoutSeconds?: number;
  extraArgs?: string[];
  /** One MP-SPDZ hosts file per party (`-ip`): how the parties reach each other (e.g. via relays). */
  hostsFiles?: string[];
  /** Told when the run moves to other ports. */
  onNote?: (msg: string) => void;
}

/** Base ports tried before a port in use is reported: each try costs only the parties' start. */
const PORT_ATTEMPTS = 3;

/**
 * Runs all parties; `inputPrefix` is passed as `-IF` (files `<prefix>-P<i>-0`), so the run
 * reads its own inputs and never touches Player-Data/Input-* of the user. A port that another
 * program holds moves the run to other ports (ppvc-dsl chose them, any free ones do; MP-SPDZ
 * itself would retry binding for 10 minutes); with hosts files the ports are the user's, and
 * the run fails naming the port and the party.
 */
export async function runLocal(mp: MpSpdz, p: Pipeline, opts: LocalRunOptions): Promise<RunResult> {
  const profile = PROTOCOLS[p.target.protocol];
  const binary = join(mp.root, profile.binary);
  if (!existsSync(binary)) {
    throw new EnvironmentError(`the party binary for ${p.target.protocol} is missing: ${binary}`, [
      `build it in the MP-SPDZ tree following its README: make ${profile.binary}`,
    ]);
  }
  if (profile.processes > 1) await ensureCertificates(mp, profile.parties);
  let port = opts.port ?? basePortFromEnvironment(profile.parties) ?? randomBasePort();
  for (let attempt = 1; ; attempt++) {
    const run = await runParties(mp, p, binary, port, opts);
    if (!run.busy) return finishRun(mp, p, run, port, opts);
    if (opts.hostsFiles || attempt === PORT_ATTEMPTS) throw portInUse(run.busy, attempt);
    const next = otherBasePort(port, profile.parties);
    opts.onNote?.(`port ${run.busy.port}, where party ${run.busy.party} listens, is in use on this machine (${run.busy.reason}); running on ports ${next}..${next + profile.parties - 1} instead`);
    port = next;
  }
}

/** $PPVC_DSL_PORT: the base port a local run tries first (a firewall that allows only some ports; tests). */
export function basePortFromEnvironment(parties: number): number | undefined {
  const text = process.env['PPVC_DSL_PORT'];
  if (text === undefined || text === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1024 || port + parties - 1 > 65535) {
    throw new EnvironmentError(`PPVC_DSL_PORT=${text}: expected a whole number from 1024 to ${65536 - parties} (the parties listen on it and the ${parties - 1} ports above)`);
  }
  return port;
}

/** A random base port whose parties' ports do not overlap the last try's. */
function otherBasePort(previous: number, parties: number): number {
  for (;;) {
    const next = randomBasePort();
    if (next + parties <= previous || next >= previous + parties) return next;
  }
}

interface Busy {
  party: number;
  port: number;
  reason: string;
}

function portInUse(busy: Busy, attempts: number): EnvironmentError {
  return new EnvironmentError(`party ${busy.party} cannot listen on port ${busy.port}: ${busy.reason}: another program on this machine holds it${attempts > 1 ? ` (the last of ${attempts} base ports tried)` : ''}`, [
    `see which with: ss -ltnp 'sport = :${busy.port}'`,
  ]);
}

interface Failure {
  party: number;
  how: string;
  log: string;
  signal?: string;
}

interface PartiesRun {
  results: { all?: unknown }[];
  failures: Failure[];
  stoppedByUs: Set<number>;
  wallSeconds: number;
  /** A party that could not bind its port: the run was stopped at once. */
  busy?: Busy;
}

/** Starts every party on `port` and waits for all; the first to fail stops the others. */
async function runParties(mp: MpSpdz, p: Pipeline, binary: string, port: number, opts: LocalRunOptions): Promise<PartiesRun> {
  const profile = PROTOCOLS[p.target.protocol];
  const timeoutSeconds = opts.timeoutSeconds ?? 1800;
  const started = Date.now();
  const procs = Array.from({ length: profile.processes }, (_, i) => startParty(mp, p, binary, i, port, opts));
  const run: PartiesRun = { results: [], failures: [], stoppedByUs: new Set(), wallSeconds: 0 };
  const stopOthers = (except: number) =>
    procs.forEach((other, j) => {
      if (j === except || other.exitCode !== null || other.signalCode !== null) return;
      run.stoppedByUs.add(j);
      other.kill('SIGKILL');
    });
  // MP-SPDZ retries a bind for 10 minutes (Networking/ServerSocket.cpp): stop at its first complaint
  procs.forEach((proc, i) =>
    watchLines(proc, (line) => {
      const bind = /Binding to socket on \S+:(\d+) failed \(([^)]*)\)/.exec(line);
      if (!bind || run.busy) return;
      const busyPort = Number(bind[1]);
      run.busy = { party: opts.hostsFiles ? i : busyPort - port, port: busyPort, reason: bind[2]! };
      stopOthers(-1);
    }),
  );
  run.results = await Promise.all(
    procs.map(async (proc, i) => {
      const r = await proc;
      // emulate.x aborts at the very end ("used more preprocessing than expected") after
      // printing the result; that is MP-SPDZ's known behaviour, not a failed run
      const emulateEpilogue = profile.processes === 1 && /more preprocessing than expected/.test(String(r.all ?? ''));
      if (r.exitCode !== 0 && !emulateEpilogue) {
        const how = r.timedOut ? `stopped after the ${timeoutSeconds} s timeout` : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
        run.failures.push({ party: i, how, log: String(r.all ?? ''), signal: r.signal ?? undefined });
        if (run.failures.length === 1) stopOthersAfter(run.failures[0]!, () => stopOthers(i));
      }
      return r;
    }),
  );
  run.wallSeconds = (Date.now() - started) / 1000;
  return run;
}

/** One party process, on `port` (or its hosts file), killed after the run's timeout. */
function startParty(mp: MpSpdz, p: Pipeline, binary: string, i: number, port: number, opts: LocalRunOptions): ResultPromise {
  const profile = PROTOCOLS[p.target.protocol];
  const network = opts.hostsFiles ? ['-ip', opts.hostsFiles[i]!] : ['-pn', String(port), '-h', 'localhost'];
  const args = profile.processes === 1 ? [p.name, '-IF', opts.inputPrefix] : [String(i), p.name, ...network, '-IF', opts.inputPrefix];
  if (profile.corruption === 'dishonest majority') args.push('-N', String(profile.parties));
  if (p.reveals.some((r) => r.to.some((t) => t.id !== 0))) args.push('-OF', '.');
  args.push(...partyFlags(profile, p.target.ringBits), ...(opts.extraArgs ?? []));
  // On Linux each party gets SIGKILL if ppvc-dsl dies without cleaning up (kill -9, OOM killer):
  // signals it can handle are covered by execa's `cleanup`, this one is not.
  const guard = platform() === 'linux' && existsSync('/usr/bin/setpriv') ? ['--pdeathsig', 'KILL', '--', binary] : undefined;
  return execa(guard ? '/usr/bin/setpriv' : binary, guard ? [...guard, ...args] : args, {
    cwd: mp.root,
    all: true,
    reject: false,
    timeout: Math.ceil((opts.timeoutSeconds ?? 1800) * 1000),
    killSignal: 'SIGKILL',
    forceKillAfterDelay: 2000,
  });
}

/** Calls `onLine` with each line a party prints, as it prints it. */
function watchLines(proc: ResultPromise, onLine: (line: string) => void): void {
  let pending = '';
  proc.all?.on('data', (chunk: Buffer | string) => {
    const lines = (pending + String(chunk)).split('\n');
    pending = lines.pop()!;
    for (const l of lines) onLine(l);
  });
}

/**
 * Stops the other parties when one failed: at once, except after a failure to connect, when
 * they get a moment to report their own (a party that gave up waiting leaves the others'
 * connections reset; one that is still silent after that never connected).
 */
function stopOthersAfter(first: Failure, stop: () => void): void {
  if (connectionTrouble(first.log)) setTimeout(stop, CONNECT_GRACE_MS);
  else stop();
}

const CONNECT_GRACE_MS = 1500;

/** What a party's log says went wrong while the parties connected, in MP-SPDZ's words (Networking/). */
export type ConnectionTrouble =
  | { kind: 'connect'; host: string; port: number; seconds: number; reason: string }
  | { kind: 'resolve'; host: string; reason: string }
  | { kind: 'wait' };

export function connectionTrouble(log: string): ConnectionTrouble | undefined {
  let m = /cannot connect from \S+ to (\S+):(\d+) after \d+ attempts in (\d+) seconds because ([^.]*)\./.exec(log);
  if (m) return { kind: 'connect', host: m[1]!, port: Number(m[2]), seconds: Number(m[3]), reason: m[4]! };
  m = /getaddrinfo on \S+ has returned '([^']*)' for (\S+),/.exec(log);
  if (m) return { kind: 'resolve', host: m[2]!, reason: m[1]! };
  if (/Timed out waiting for peer/.test(log)) return { kind: 'wait' };
  return undefined;
}

function finishRun(mp: MpSpdz, p: Pipeline, run: PartiesRun, port: number, opts: LocalRunOptions): RunResult {
  const profile = PROTOCOLS[p.target.protocol];
  const logs = run.results.map((r) => String(r.all ?? ''));
  const failed = reportedFailure(run.failures, run.stoppedByUs);
  if (!failed) return { ...parseRunLogs(logs), wallSeconds: run.wallSeconds, logs };
  // party programs (RingMachine.hpp) and emulate.x word it differently
  const ring = /not compiled for (\d+)-bit (?:computation|rings)/i.exec(failed.log);
  if (ring) {
    throw new EnvironmentError(`${profile.binary} in ${mp.root} is not built for a ${ring[1]}-bit ring (the pipeline's 'ring ${ring[1]}')`, [
      ...(ring[1] === '32' ? [`build one with: ppvc-dsl setup-mp-spdz --source DIR --ring 32 --protocols ${profile.name} (DIR: your MP-SPDZ clone); run then finds it`] : []),
      `or add 'MY_CFLAGS += -DRING_SIZE=${ring[1]}' to MP-SPDZ's CONFIG.mine and rebuild ${profile.binary} (MP-SPDZ's README, "Arithmetic modulo 2^k"), or use 'ring 64'`,
    ]);
  }
  const tail = failed.log.split('\n').slice(-12).join('\n');
  const what = `running ${p.name} under ${p.target.protocol}`;
  const trouble = connectionTrouble(failed.log);
  if (trouble) throw new EnvironmentError(`${describeTrouble(failed, trouble, run, opts.hostsFiles ? undefined : port)}, ${what}; party ${failed.party}'s last lines:\n${tail}`);
  throw new EnvironmentError(`party ${failed.party} failed (${failed.how}) ${what}:\n${tail}`);
}

/** A failure to connect, in terms of parties: who could not reach whom, or who never connected. */
function describeTrouble(failed: Failure, t: ConnectionTrouble, run: PartiesRun, base: number | undefined): string {
  if (t.kind === 'resolve') return `party ${failed.party} could not resolve the host name ${t.host} (${t.reason})`;
  if (t.kind === 'connect') {
    const peer = base !== undefined && t.port - base >= 0 && t.port - base < run.results.length ? `party ${t.port - base} at ` : '';
    return `party ${failed.party} could not connect to ${peer}${t.host}:${t.port} (${t.reason}, for MP-SPDZ's ${t.seconds} s)${/refused/i.test(t.reason) ? ': nothing listened there' : ''}`;
  }
  // still running when the others had given up (and had a moment to say why): never connected
  const silent = [...run.stoppedByUs].sort((x, y) => x - y);
  if (silent.length === 0) return `party ${failed.party} gave up waiting for the other parties to connect (MP-SPDZ waits 60 s)`;
  const many = silent.length > 1;
  return `party ${silent.join(', party ')} never connected to the other${many ? 's' : ' parties'} (${many ? 'they were' : 'it was'} still starting when party ${failed.party} gave up waiting, after MP-SPDZ's 60 s)`;
}

/**
 * The failure to report: a party killed by a signal ppvc-dsl did not send (the cause: its peers
 * fail only because it went, and one of them may notice first), else the first to fail.
 */
function reportedFailure(failures: Failure[], stoppedByUs: Set<number>): Failure | undefined {
  return failures.find((f) => f.signal && !stoppedByUs.has(f.party)) ?? failures[0];
}

export function parseRunLogs(logs: string[]): Omit<RunResult, 'wallSeconds' | 'logs'> {
  const outputs: Record<string, string> = {};
  const parties: PartyFigures[] = [];
  const timers: RunResult['timers'] = [];
  logs.forEach((log, party) => {
    const fig: PartyFigures = { party };
    for (const line of log.split('\n')) {
      let m = /^([A-Za-z_][A-Za-z0-9_]*): (.*)$/.exec(line);
      if (m && !/^(Time|Data sent|Global data sent|Fatal error)/.test(line)) outputs[m[1]!] = m[2]!.trim();
      if ((m = /^Time = ([\d.e+-]+) seconds/.exec(line))) fig.seconds = Number(m[1]);
      if ((m = /^Data sent = ([\d.e+-]+) MB in ~(\d+) rounds/.exec(line))) {
        fig.dataSentMB = Number(m[1]);
        fig.rounds = Number(m[2]);
      }
      if ((m = /^Global data sent = ([\d.e+-]+) MB/.exec(line))) fig.globalDataSentMB = Number(m[1]);
      if (party === 0 && (m = /^Time(\d+) = ([\d.e+-]+) seconds \(([\d.e+-]+) MB, (\d+) rounds\)/.exec(line))) {
        timers.push({ timer: Number(m[1]), seconds: Number(m[2]), mb: Number(m[3]), rounds: Number(m[4]) });
      }
    }
    parties.push(fig);
  });
  return { outputs, parties, timers };
}
