// What every command shares: reading a source file, printing diagnostics, and checking a
// pipeline (exit status 1 on a user's error, diagnostics as JSON with --json).
import { existsSync, statSync } from 'node:fs';
import { type Diagnostic, type SourceFile, UserError, diagnosticToJson, formatDiagnostics, hasErrors } from '../diagnostics.js';
import { checkSource, type BuildOptions } from '../compile.js';
import type { Pipeline } from '../ir/pipeline.js';
import { checkedBudget } from './target-overrides.js';
import { missingPathMessage, readRegularFile, withoutBom } from '../util/files.js';
import { resolveModelPath } from '../import/model-file.js';
import type { ProtocolName } from '../target/protocols.js';
import { formatBoundSuggestions, type BoundSuggestion } from '../simulate/declared-bounds.js';
import { buildOptionsFrom, type TargetOverrides } from './target-overrides.js';
import { formatCalibration } from './calibration.js';

/** The files a checked pipeline was read from: the .ppvc and its model file, if any. */
export function pipelineFiles(p: Pipeline): string[] {
  return [p.sourcePath, ...(p.model.source.kind === 'file' ? [resolveModelPath(p.sourcePath, p.model.source.path)] : [])];
}

/** A text file; `what` says what was expected in the message for a directory. */
export function readText(path: string, what = 'a .ppvc file'): SourceFile {
  if (!existsSync(path)) throw new UserError(missingPathMessage(path));
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected ${what}`);
  const buf = readRegularFile(path);
  if (buf.includes(0)) throw new UserError(`${path}: is not a text file`);
  return { path, text: withoutBom(buf.toString('utf8')) };
}

export function reportDiagnostics(diags: Diagnostic[], json: boolean): void {
  if (json) return;
  for (const line of formatDiagnostics(diags)) process.stderr.write(line + '\n');
  const errors = diags.filter((d) => d.severity === 'error').length;
  if (errors > 0) process.stderr.write(`${errors} error${errors === 1 ? '' : 's'} found\n`);
}

/** A .ppvc file checked; undefined after errors (reported, exit status 1 set). */
export function checkedPipeline(path: string, json: boolean, opts: BuildOptions = {}): { pipeline: Pipeline; diagnostics: Diagnostic[] } | undefined {
  checkedBudget(opts.budget);
  const outcome = checkSource(readText(path), opts);
  reportDiagnostics(outcome.diagnostics, json);
  if (!outcome.pipeline || hasErrors(outcome.diagnostics)) {
    if (json) {
      // the shape of every --json failure ({ ok: false, error }), with the diagnostics also at the top as before
      const diagnostics = outcome.diagnostics.map(diagnosticToJson);
      const errors = outcome.diagnostics.filter((d) => d.severity === 'error').length;
      const error = { kind: 'user', exitStatus: 1, message: `${errors} error${errors === 1 ? '' : 's'} found`, diagnostics };
      process.stdout.write(JSON.stringify({ ok: false, diagnostics, error }, null, 2) + '\n');
    }
    process.exitCode = 1;
    return undefined;
  }
  return { pipeline: outcome.pipeline, diagnostics: outcome.diagnostics };
}

/** --seed: the generators take a uint32, so 0.5, -1 or 2^32 would silently become another seed. */
export function checkedSeed(seed: unknown): number {
  if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return seed;
  throw new UserError(`--seed ${String(seed)}: expected an integer from 0 to 4294967295`);
}

/**
 * The pipeline a command names (`path`, else its FILE), checked with the command line's
 * overrides: --protocol, --budget, --style, --opt where the command takes them, and --force.
 */
export function checked(a: { readonly [option: string]: unknown }, path = a.file as string) {
  const overrides = { protocol: a.protocol as ProtocolName | undefined, budget: a.budget as number | undefined, style: a.style as TargetOverrides['style'], opt: a.opt as string | undefined, force: Boolean(a.force) };
  return checkedPipeline(path, Boolean(a.json), buildOptionsFrom(overrides));
}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** The calibration's lines on stdout; a precision that does not give float's label also as a warning on stderr. */
export function printCalibration(r: Parameters<typeof formatCalibration>[0]): void {
  const lines = formatCalibration(r);
  process.stdout.write(lines.join('\n') + '\n');
  if ('verdict' in r && r.verdict === 'refused') process.stderr.write(`warning: the pipeline's precision does not give float's label on the calibration videos (above); run --local would refuse such inputs\n`);
}

/** After writing a model owner's file: the bounds its weights prove, as `simulate` words them (nothing when none would narrow). */
export function printBoundSuggestions(suggestions: BoundSuggestion[], p: Pipeline): void {
  const line = formatBoundSuggestions(suggestions, p);
  if (line) process.stdout.write(`${line}\n`);
}

// --style and --opt: with the other overrides (the API's too) in target-overrides.ts
export { styleFrom } from './target-overrides.js';
