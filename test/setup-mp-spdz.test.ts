// `ppvc-dsl setup-mp-spdz` without building anything: its arguments, the source hash, the
// cache lookup the other commands use, and the second call that finds the build and returns.
// (The real build runs in CI before the suite: .ci/run.)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './helpers.js';
import { parseProtocolList, progressLine, setupMpSpdz, sourceHash, DEFAULT_PROTOCOLS } from '../src/backend/mp-spdz-setup.js';
import { BUILD_RECORD, findCachedBuild, type BuildRecord } from '../src/backend/mp-spdz-cache.js';
import { PROTOCOL_NAMES } from '../src/target/protocols.js';

const CLI = join(ROOT, 'dist', 'cli.js');
let scratch: string;
const savedCache = process.env['PPVC_DSL_CACHE'];

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ppvc-setup-'));
  process.env['PPVC_DSL_CACHE'] = join(scratch, 'cache');
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
  if (savedCache === undefined) delete process.env['PPVC_DSL_CACHE'];
  else process.env['PPVC_DSL_CACHE'] = savedCache;
});

/** A directory that passes for an MP-SPDZ source tree. */
function fakeSource(): string {
  const src = join(scratch, 'src');
  for (const d of ['Compiler', 'Machines']) mkdirSync(join(src, d), { recursive: true });
  for (const f of ['compile.py', 'Makefile', 'Compiler/ml.py', 'Machines/emulate.cpp']) writeFileSync(join(src, f), `# ${f}\n`);
  writeFileSync(join(src, 'CHANGELOG.md'), '## 0.4.2 (Dec 24, 2025)\n');
  return src;
}

/** A finished build in the cache, as setupMpSpdz leaves one. */
function cachedBuild(name: string, record: Partial<BuildRecord>, binaries: string[]): string {
  const root = join(scratch, 'cache', 'mp-spdz', name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'compile.py'), '');
  for (const b of binaries) writeFileSync(join(root, b), '');
  const full: BuildRecord = { source: '/src', sourceHash: 'x', version: '0.4.2', ring: 64, protocols: [], builtAt: '2026-01-01T00:00:00.000Z', ...record };
  writeFileSync(join(root, BUILD_RECORD), JSON.stringify(full));
  return root;
}

test('--protocols: all, default, a list; an unknown name is an error naming the known ones', () => {
  expect(parseProtocolList('all')).toEqual(PROTOCOL_NAMES);
  expect(parseProtocolList('default')).toEqual(DEFAULT_PROTOCOLS);
  expect(DEFAULT_PROTOCOLS).toEqual(expect.arrayContaining(['emulate', 'replicated-ring', 'rep4-ring', 'sy-rep-ring']));
  expect(DEFAULT_PROTOCOLS).not.toContain('semi2k');
  expect(parseProtocolList('semi2k, emulate,semi2k')).toEqual(['semi2k', 'emulate']);
  expect(() => parseProtocolList('semi2k,hemi2k')).toThrow(/unknown protocol 'hemi2k'.*semi2k, hemi, temi, spdz2k, lowgear/);
});

test('the source hash covers sources, not build products', () => {
  const src = fakeSource();
  const before = sourceHash(src);
  writeFileSync(join(src, 'Machines', 'emulate.o'), 'object');
  writeFileSync(join(src, 'emulate.x'), 'binary');
  mkdirSync(join(src, 'Player-Data'));
  writeFileSync(join(src, 'Player-Data', 'P0.pem'), 'key');
  expect(sourceHash(src)).toBe(before);
  writeFileSync(join(src, 'Compiler', 'ml.py'), '# changed\n');
  expect(sourceHash(src)).not.toBe(before);
});

test('a second setup finds the build and returns without building', async () => {
  const src = fakeSource();
  const hash = sourceHash(src);
  const root = cachedBuild(`${hash.slice(0, 16)}-r64`, { sourceHash: hash, protocols: ['emulate'] }, ['emulate.x']);
  const r = await setupMpSpdz({ source: src, protocols: ['emulate'], ring: 64 });
  expect(r).toMatchObject({ root, built: false });
  expect(r.seconds).toBeLessThan(5);
});

test('the other commands find the build for the pipeline ring and protocol, newest first', () => {
  expect(findCachedBuild({ ring: 64, protocol: 'emulate' })).toBeUndefined();
  const old = cachedBuild('a-r64', { builtAt: '2026-01-01T00:00:00.000Z' }, ['emulate.x', 'replicated-ring-party.x']);
  const newer = cachedBuild('b-r64', { builtAt: '2026-02-01T00:00:00.000Z' }, ['emulate.x']);
  const r32 = cachedBuild('c-r32', { ring: 32, builtAt: '2026-03-01T00:00:00.000Z' }, ['emulate.x']);
  expect(findCachedBuild({ ring: 64, protocol: 'emulate' })).toBe(newer);
  expect(findCachedBuild({ ring: 64, protocol: 'replicated-ring' })).toBe(old);
  expect(findCachedBuild({ ring: 32, protocol: 'emulate' })).toBe(r32);
  // no ring-32 build with the binary: one for 64 bits, whose party program then says what it lacks
  expect(findCachedBuild({ ring: 32, protocol: 'replicated-ring' })).toBe(old);
});

test('progress: objects, elapsed time, and the time left once there is a rate', () => {
  const started = Date.now() - 100_000;
  expect(progressLine(started, 0, 200)).toMatch(/^building: 0\/200 objects, 1 min 40 s elapsed$/);
  expect(progressLine(started, 50, 200)).toMatch(/50\/200 objects, 1 min 40 s elapsed, about 5 min 0 s left/);
  expect(progressLine(started, 1, 47, 36)).toMatch(/the OT library at 36%/);
});

test.each([
  [['--source', '/nonexistent/mp-spdz'], '--source /nonexistent/mp-spdz: no such directory'],
  [['--source', ROOT], 'not an MP-SPDZ source tree (compile.py is missing)'],
  [['--source', ROOT, '--ring', '48'], '--ring 48: expected one of 32, 64'],
  [['--source', ROOT, '--protocols', 'semi3k'], "unknown protocol 'semi3k'"],
])('setup-mp-spdz %j: a clear error, exit 1', (args, message) => {
  const r = spawnSync('node', [CLI, 'setup-mp-spdz', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env } });
  expect(r.stderr).toContain(message);
  expect(r.status).toBe(1);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
});
