// Runs every party of a compiled program on this machine (party binaries started directly,
// so that a failing party stops the others and none is left behind) and reads the results
// MP-SPDZ prints: the revealed outputs, time, data sent, rounds and the per-stage timers.
import { existsSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { EnvironmentError } from '../diagnostics.js';
import type { Pipeline } from '../ir/pipeline.js';
import { PROTOCOLS } from './protocols.js';
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

/**
 * Runs all parties; `inputPrefix` is passed as `-IF` (files `<prefix>-P<i>-0`), so the run
 * reads its own inputs and never touches Player-Data/Input-* of the user.
 */
export async function runLocal(
  mp: MpSpdz,
  p: Pipeline,
  opts: {
    inputPrefix: string;
    port?: number;
    timeoutSeconds?: number;
    extraArgs?: string[];
    /** One MP-SPDZ hosts file per party (`-ip`): how the parties reach each other (e.g. via relays). */
    hostsFiles?: string[];
  },
): Promise<RunResult> {
  const profile = PROTOCOLS[p.target.protocol];
  const binary = join(mp.root, profile.binary);
  if (!existsSync(binary)) {
    throw new EnvironmentError(`the party binary for ${p.target.protocol} is missing: ${binary}`, [
      `build it in the MP-SPDZ tree following its README: make ${profile.binary}`,
    ]);
  }
  if (profile.processes > 1) await ensureCertificates(mp, profile.parties);
  const port = opts.port ?? randomBasePort();
  // On Linux each party gets SIGKILL if ppvc-dsl dies without cleaning up (kill -9, OOM killer):
  // signals it can handle are covered by execa's `cleanup`, this one is not.
  const guard = platform() === 'linux' && existsSync('/usr/bin/setpriv') ? ['--pdeathsig', 'KILL', '--', binary] : undefined;
  const started = Date.now();
  const procs: ResultPromise[] = [];
  for (let i = 0; i < profile.processes; i++) {
    const network = opts.hostsFiles ? ['-ip', opts.hostsFiles[i]!] : ['-pn', String(port), '-h', 'localhost'];
    const args = profile.processes === 1 ? [p.name, '-IF', opts.inputPrefix] : [String(i), p.name, ...network, '-IF', opts.inputPrefix];
    if (profile.corruption === 'dishonest majority') args.push('-N', String(profile.parties));
    if (p.reveals.some((r) => r.to.some((t) => t.id !== 0))) args.push('-OF', '.');
    args.push(...profile.runtimeFlags, ...(opts.extraArgs ?? []));
    procs.push(
      execa(guard ? '/usr/bin/setpriv' : binary, guard ? [...guard, ...args] : args, {
        cwd: mp.root,
        all: true,
        reject: false,
        timeout: Math.ceil((opts.timeoutSeconds ?? 1800) * 1000),
        killSignal: 'SIGKILL',
        forceKillAfterDelay: 2000,
      }),
    );
  }
  // the first party to fail stops the others; the failure reported is the cause, not a party
  // that only saw its peer go (see reportedFailure)
  const failures: Failure[] = [];
  const stoppedByUs = new Set<number>();
  const results = await Promise.all(
    procs.map(async (proc, i) => {
      const r = await proc;
      // emulate.x aborts at the very end ("used more preprocessing than expected") after
      // printing the result; that is MP-SPDZ's known behaviour, not a failed run
      const emulateEpilogue = profile.processes === 1 && /more preprocessing than expected/.test(String(r.all ?? ''));
      if (r.exitCode !== 0 && !emulateEpilogue) {
        const how = r.timedOut ? `stopped after the ${opts.timeoutSeconds ?? 1800} s timeout` : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
        failures.push({ party: i, how, log: String(r.all ?? ''), signal: r.signal ?? undefined });
        if (failures.length === 1) {
          procs.forEach((other, j) => {
            if (j === i || other.exitCode !== null || other.signalCode !== null) return;
            stoppedByUs.add(j);
            other.kill('SIGKILL');
          });
        }
      }
      return r;
    }),
  );
  const failed = reportedFailure(failures, stoppedByUs);
  const wallSeconds = (Date.now() - started) / 1000;
  const logs = results.map((r) => String(r.all ?? ''));
  if (failed) {
    // party programs (RingMachine.hpp) and emulate.x word it differently
    const ring = /not compiled for (\d+)-bit (?:computation|rings)/i.exec(failed.log);
    if (ring) {
      throw new EnvironmentError(`${profile.binary} in ${mp.root} is not built for a ${ring[1]}-bit ring (the pipeline's 'ring ${ring[1]}')`, [
        ...(ring[1] === '32' ? [`build one with: ppvc-dsl setup-mp-spdz --source DIR --ring 32 --protocols ${profile.name} (DIR: your MP-SPDZ clone); run then finds it`] : []),
        `or add 'MY_CFLAGS += -DRING_SIZE=${ring[1]}' to MP-SPDZ's CONFIG.mine and rebuild ${profile.binary} (MP-SPDZ's README, "Arithmetic modulo 2^k"), or use 'ring 64'`,
      ]);
    }
    const tail = failed.log.split('\n').slice(-12).join('\n');
    throw new EnvironmentError(`party ${failed.party} failed (${failed.how}) running ${p.name} under ${p.target.protocol}:\n${tail}`);
  }
  return { ...parseRunLogs(logs), wallSeconds, logs };
}

interface Failure {
  party: number;
  how: string;
  log: string;
  signal?: string;
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
