// `ppvc-dsl fmt FILE... [--check] [--write]`: the canonical layout of .ppvc files (see
// src/format/printer.ts for the style). Prints the formatted text of one file, checks that files
// are formatted (exit 1 listing those that are not), or rewrites them in place (atomically);
// `fmt --stdin` formats standard input (for editors' format-on-save).
// A file with a syntax error is reported exactly as `check` reports it and left alone (exit 1).
// Registered in cli.ts (COMMANDS).
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { type Diagnostic, type SourceFile, UserError, diagnosticToJson, formatDiagnostics } from '../diagnostics.js';
import { formatSource } from '../format/printer.js';
import { missingPathMessage, readRegularFile, withoutBom, writeFileAtomic } from '../util/files.js';

export interface FmtArgs {
  files?: string[];
  check: boolean;
  write: boolean;
  stdin: boolean;
  json?: boolean;
}

function readSourceFile(path: string): SourceFile {
  if (!existsSync(path)) throw new UserError(missingPathMessage(path));
  if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected a .ppvc file`);
  const buf = readRegularFile(path);
  if (buf.includes(0)) throw new UserError(`${path}: is not a text file`);
  return { path, text: withoutBom(buf.toString('utf8')) };
}

function reportDiagnostics(diags: Diagnostic[]): void {
  for (const line of formatDiagnostics(diags)) process.stderr.write(line + '\n');
  const errors = diags.filter((d) => d.severity === 'error').length;
  if (errors > 0) process.stderr.write(`${errors} error${errors === 1 ? '' : 's'} found\n`);
}

export const fmtCommand: CommandModule<object, FmtArgs> = {
  command: 'fmt [files..]',
  describe: 'format .ppvc files in the canonical style (comments kept); --check lists files that are not formatted',
  builder: (y: Argv<object>) =>
    y
      .positional('files', { type: 'string', array: true, describe: 'the .ppvc files' })
      .option('stdin', { type: 'boolean', default: false, describe: 'format standard input and print it (instead of files)' })
      .option('check', { type: 'boolean', default: false, describe: 'change nothing; exit 1 and list the files that would change' })
      .option('write', { type: 'boolean', default: false, describe: 'rewrite the files that would change, in place (atomically)' }) as unknown as Argv<FmtArgs>,
  handler: (a) => {
    const files = (a.files ?? []).map(String);
    if (a.check && a.write) throw new UserError('fmt: --check changes nothing and --write rewrites files; pass one of them');
    if (a.stdin) {
      if (files.length > 0) throw new UserError('fmt --stdin formats standard input; leave out the file names');
      if (a.write) throw new UserError('fmt --stdin: standard input cannot be rewritten; leave out --write');
    } else if (files.length === 0) {
      throw new UserError('fmt needs the .ppvc files to format (or --stdin)');
    } else if (!a.check && !a.write && files.length !== 1) {
      throw new UserError(`fmt prints the formatted text of one file; for ${files.length} files pass --check or --write`);
    }
    // every path is valid before anything is written
    const sources = a.stdin ? [{ path: '<stdin>', text: withoutBom(readFileSync(0, 'utf8')) }] : files.map(readSourceFile);
    const results: { file: string; ok: boolean; changed?: boolean; text?: string; diagnostics?: Diagnostic[] }[] = [];
    for (const src of sources) {
      const r = formatSource(src);
      if (!r.ok) {
        if (!a.json) reportDiagnostics(r.diagnostics);
        results.push({ file: src.path, ok: false, diagnostics: r.diagnostics });
        continue;
      }
      results.push({ file: src.path, ok: true, changed: r.changed, text: !a.check && !a.write ? r.text : undefined });
      if (a.write) {
        if (r.changed) {
          const mode = statSync(src.path).mode & 0o7777;
          writeFileAtomic(src.path, r.text);
          chmodSync(src.path, mode);
          if (!a.json) process.stdout.write(`formatted ${src.path}\n`);
        }
      } else if (!a.check && !a.json) process.stdout.write(r.text);
    }
    const failed = results.filter((r) => !r.ok).length;
    const changed = results.filter((r) => r.changed);
    if (a.json) {
      process.stdout.write(
        JSON.stringify(
          { ok: failed === 0 && (!a.check || changed.length === 0), files: results.map((r) => ({ ...r, diagnostics: r.diagnostics?.map(diagnosticToJson) })) },
          null,
          2,
        ) + '\n',
      );
    } else if (a.check) {
      for (const r of changed) process.stdout.write(`${r.file}\n`);
      const n = results.length;
      process.stderr.write(
        changed.length > 0
          ? `${changed.length} of ${n} file${n === 1 ? '' : 's'} would be reformatted (ppvc-dsl fmt --write)\n`
          : failed === 0
            ? `${n} file${n === 1 ? '' : 's'} already formatted\n`
            : '',
      );
    }
    if (failed > 0 || (a.check && changed.length > 0)) process.exitCode = 1;
  },
};
