// A private LAN of Linux network namespaces for deployment tests: one namespace per host,
// each with a veth `eth0` whose peer sits on a bridge inside a further "switch" namespace.
// Nothing is attached to the machine's own network namespace, so no traffic leaves the LAN.
// Needs root and iproute2 (`ip netns`). Namespace names carry the creating process id, so a
// later run can remove what a killed run left behind (and only that).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LanHost {
  ns: string;
  ip: string;
  /** The switch port (in the switch namespace) this host is plugged into. */
  port: string;
}

export interface Lan {
  switchNs: string;
  hosts: LanHost[];
}

const PREFIX = 'ppvc-lan-';

function ip(args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Why namespaces cannot be used here, or undefined if they can. */
export function netnsUnavailable(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'the test process is not root (creating network namespaces needs root)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error) return `iproute2's ip is not available (${r.error.message})`;
  if (r.status !== 0) return `'ip netns list' fails: ${r.stderr.trim()}`;
  return undefined;
}

export function listNamespaces(): string[] {
  return ip(['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.length > 0);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes namespaces an earlier, killed test run created (its process is gone). */
export function removeStaleLans(): string[] {
  const removed: string[] = [];
  for (const ns of listNamespaces()) {
    const m = new RegExp(`^${PREFIX}(\\d+)-`).exec(ns);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) {
      spawnSync('ip', ['netns', 'del', ns]);
      removed.push(ns);
    }
  }
  return removed;
}

/** Creates `n` hosts at `<subnet>.1` .. `<subnet>.n` (/24) on one bridge. */
export function createLan(tag: string, n: number, subnet = '10.77.0'): Lan {
  const base = `${PREFIX}${process.pid}-${tag}`;
  const lan: Lan = { switchNs: `${base}-sw`, hosts: [] };
  try {
    ip(['netns', 'add', lan.switchNs]);
    ip(['-n', lan.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', lan.switchNs, 'link', 'set', 'br0', 'up']);
    for (let i = 0; i < n; i++) {
      const host: LanHost = { ns: `${base}-h${i}`, ip: `${subnet}.${i + 1}`, port: `p${i}` };
      lan.hosts.push(host);
      ip(['netns', 'add', host.ns]);
      // both ends are created directly inside their namespaces
      ip(['link', 'add', 'eth0', 'netns', host.ns, 'type', 'veth', 'peer', 'name', host.port, 'netns', lan.switchNs]);
      ip(['-n', lan.switchNs, 'link', 'set', host.port, 'master', 'br0']);
      ip(['-n', lan.switchNs, 'link', 'set', host.port, 'up']);
      ip(['-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0']);
      ip(['-n', host.ns, 'link', 'set', 'eth0', 'up']);
      ip(['-n', host.ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    destroyLan(lan);
    throw e;
  }
  return lan;
}

/** Deletes the namespaces (their veth pairs go with them). Never throws. */
export function destroyLan(lan: Lan | undefined): void {
  if (!lan) return;
  for (const ns of [...lan.hosts.map((h) => h.ns), lan.switchNs]) spawnSync('ip', ['netns', 'del', ns]);
}

/** Runs a command inside a namespace, synchronously. */
export function inNs(ns: string, cmd: string[], opts: { env?: NodeJS.ProcessEnv; timeout?: number } = {}) {
  return spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', env: opts.env ?? process.env, timeout: opts.timeout ?? 60_000 });
}

/** Bytes the switch received from and sent to a host (its switch port's counters). */
export function portCounters(lan: Lan, host: LanHost): { rx: number; tx: number } {
  const read = (what: string) => Number(inNs(lan.switchNs, ['cat', `/sys/class/net/${host.port}/statistics/${what}_bytes`]).stdout.trim());
  return { rx: read('rx'), tx: read('tx') };
}

/**
 * A fresh MP-SPDZ "installation" for one simulated host, made from the built tree `home`:
 * its own compile.py, Compiler/ (with upstream's ml.py: ppvc-dsl helper blocks removed, as on a
 * machine that never saw ppvc-dsl), empty Programs/ and Player-Data/, and the party binary
 * (a symbolic link: the binary is the same everywhere, its files are per host).
 */
export function installMpSpdz(home: string, dir: string, binaries: string[]): string {
  mkdirSync(join(dir, 'Programs', 'Source'), { recursive: true });
  mkdirSync(join(dir, 'Player-Data'), { recursive: true });
  cpSync(join(home, 'compile.py'), join(dir, 'compile.py'));
  cpSync(join(home, 'Compiler'), join(dir, 'Compiler'), { recursive: true, filter: (src) => !src.includes('__pycache__') });
  const mlPath = join(dir, 'Compiler', 'ml.py');
  const ml = readFileSync(mlPath, 'utf8');
  const first = ml.indexOf('# >>> ppvc-dsl helper ');
  if (first >= 0) writeFileSync(mlPath, ml.slice(0, first).trimEnd() + '\n');
  for (const b of binaries) symlinkSync(join(home, b), join(dir, b));
  return dir;
}
