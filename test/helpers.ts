// Shared test helpers: compiling example files and locating MP-SPDZ / the shared corpus.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPipeline, checkSource, compileSource } from '../src/compile.js';
import type { SourceFile } from '../src/diagnostics.js';
import type { Pipeline } from '../src/ir/pipeline.js';
import type { InputPlan } from '../src/passes/plan-inputs.js';

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

/** MP_SPDZ_HOME if set and usable; tests that need it skip (and say so) otherwise. */
export function mpSpdzHome(): string | undefined {
  const dir = process.env['MP_SPDZ_HOME'];
  return dir && existsSync(join(dir, 'compile.py')) ? dir : undefined;
}

export function sharedAvailable(): boolean {
  return existsSync(join(SHARED, 'seed', 'sample_video.txt'));
}
