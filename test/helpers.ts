// Shared test helpers: compiling example files and locating MP-SPDZ / the shared corpus.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPipeline, checkSource, compileSource } from '../src/compile.js';
import type { SourceFile } from '../src/diagnostics.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';
import { cachedBuilds } from '../src/backend/mp-spdz-cache.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const SHARED = resolve(ROOT, '..', 'shared');

export function source(path: string): SourceFile {
  return { path, text: readFileSync(join(ROOT, path), 'utf8') };
}

export function exampleFiles(): string[] {
  return readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.ppvc'))
    .sort()
    .map((f) => `examples/${f}`);
}

export function compileExample(path: string) {
  const r = compileSource(source(path));
  if (!r.artifacts) throw new Error(`${path} does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.artifacts;
}

export function checkText(text: string, path = 'test.ppvc') {
  return checkSource({ path, text });
}

/** A pipeline that must check without errors, and its input plan. */
export function pipelineOf(text: string): { p: Pipeline; plan: InputPlan } {
  const r = checkText(text);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.pipeline || errors.length) throw new Error(errors.map((d) => d.message).join('; '));
  return { p: r.pipeline, plan: buildPipeline(r.pipeline).inputs };
}

/**
 * The MP-SPDZ tree the MPC tests use: MP_SPDZ_HOME (MP_SPDZ_RING32_HOME for a 32-bit ring) if
 * set, else the build `ppvc-dsl setup-mp-spdz` made for the ring. Where none is found the tests
 * skip, saying so, except under PPVC_REQUIRE_MP_SPDZ=1 (CI, where the setup ran): there a
 * missing build fails the test file.
 */
export function mpSpdzHome(ring: 32 | 64 = 64): string | undefined {
  const own = process.env[ring === 64 ? 'MP_SPDZ_HOME' : 'MP_SPDZ_RING32_HOME'];
  const dir = own || cachedBuilds().find((b) => b.record.ring === ring)?.root;
  const found = dir && existsSync(join(dir, 'compile.py')) ? dir : undefined;
  if (!found && process.env['PPVC_REQUIRE_MP_SPDZ'] === '1') {
    throw new Error(`PPVC_REQUIRE_MP_SPDZ=1 but no MP-SPDZ ${ring === 64 ? '' : `for a ${ring}-bit ring `}is built: ${setupHint(ring)}`);
  }
  return found;
}

function setupHint(ring: number): string {
  return `run \`node dist/cli.js setup-mp-spdz --source DIR${ring === 64 ? '' : ` --ring ${ring}`}\` (DIR: an MP-SPDZ clone; ../shared/mp-spdz/src here) or set ${ring === 64 ? 'MP_SPDZ_HOME' : 'MP_SPDZ_RING32_HOME'}`;
}

/** Why the MPC tests skip, or undefined where MP-SPDZ is there. */
export function noMpSpdzReason(ring: 32 | 64 = 64): string | undefined {
  return mpSpdzHome(ring) ? undefined : `no MP-SPDZ${ring === 64 ? '' : ` built for a ${ring}-bit ring`}: ${setupHint(ring)}`;
}

/**
 * `test` where `reason` is undefined; else `test.skip` with the reason in the title, which
 * test/summary-reporter.cjs prints under "Skipped tests" (Jest alone hides why).
 */
export function testUnless(reason: string | undefined): typeof test {
  if (!reason) return test;
  const mark = (title: string) => `${title} [skipped: ${reason}]`;
  const skipped = ((title: string, fn?: jest.ProvidesCallback, timeout?: number) => test.skip(mark(title), fn, timeout)) as unknown as typeof test;
  skipped.each = ((table: unknown) => (title: string, fn: unknown, timeout?: number) =>
    (test.skip.each as (t: unknown) => (a: string, b: unknown, c?: number) => void)(table)(mark(title), fn, timeout)) as unknown as typeof test.each;
  return skipped;
}

/** `describe`, or `describe.skip` with the reason in the title (see testUnless). */
export function describeUnless(reason: string | undefined): typeof describe {
  if (!reason) return describe;
  return ((title: string, fn: () => void) => describe.skip(`${title} [skipped: ${reason}]`, fn)) as unknown as typeof describe;
}

export function sharedAvailable(): boolean {
  return existsSync(join(SHARED, 'seed', 'sample_video.txt'));
}

/**
 * A two-class pipeline at 8 fractional bits whose float label (1) its fixed point cannot give
 * (run's check in the clear and the model owner's calibration must refuse it): both frames are 1,
 * and the `close` weights' logits 0.5 -/+ 0.45u (u = 2^-8) round to one value, so the fixed point
 * ties and argmax takes class 0, while each class is off by 0.45u only, less than float's margin
 * 0.9u per frame (not a near tie). The `good` weights separate the classes by far more than u.
 * Written into `dir`; returns the paths.
 */
export function writeTiePipeline(dir: string): { ppvc: string; video: string; close: string; good: string } {
  const lines = ['pipeline tie', 'party alice = 0', 'party bob = 1', 'video v: [2, 1, 1, 1] from alice range [0, 1]', 'select 2 frames by bob'];
  lines.push('model m by bob {', '  flatten', '  dense 2', '}', 'classify each frame with m, softmax relu_normalized', 'label = argmax(sum)', 'reveal label to alice');
  lines.push('target mp-spdz { protocol replicated-ring precision 8 20 trunc nearest }', '');
  const paths = { ppvc: join(dir, 'tie.ppvc'), video: join(dir, 'ones.txt'), close: join(dir, 'close.txt'), good: join(dir, 'good.txt') };
  writeFileSync(paths.ppvc, lines.join('\n'));
  writeFileSync(paths.video, '1\n1\n');
  const u = 2 ** -8;
  // the model owner's file: the selection matrix (frames 0 and 1), the kernel [1, 2], the bias
  writeFileSync(paths.close, [1, 0, 0, 1, 0.5 - 0.45 * u, 0.5 + 0.45 * u, 0, 0].join('\n') + '\n');
  writeFileSync(paths.good, [1, 0, 0, 1, 0.25, 0.75, 0, 0].join('\n') + '\n');
  return paths;
}

/** A layer object of a generated program: `name = ml.Class(args)  # comment`. */
export interface LayerStatement {
  name: string;
  cls: string;
  args: string;
  comment: string;
}

/**
 * The layer objects a generated program constructs, in order: the constructions before the list
 * `layers = [`. The constructor's arguments end at the line that closes it (Ruff puts a
 * multi-line call's `)` on a line of its own, every argument line ending in a comma).
 */
export function layerStatements(program: string): LayerStatement[] {
  const end = program.search(/^layers = \[/m);
  return [...program.slice(0, end < 0 ? 0 : end).matchAll(/^(\w+) = (ml\.\w+)\(([^]*?)\)(?:  # (.*))?$/gm)].map((m) => ({ name: m[1]!, cls: m[2]!, args: m[3]!.replace(/\s+/g, ' ').trim(), comment: m[4] ?? '' }));
}
