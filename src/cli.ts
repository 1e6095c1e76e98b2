#!/usr/bin/env node
// The ppvc-dsl command line. Every failure ends in a message and an exit status (1: the
// user's input, 2: the environment or the tool), never a stack trace (PPVC_DEBUG=1 shows one).
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EnvironmentError, UserError, diagnosticToJson, formatDiagnostics, printable } from './diagnostics.js';
import { VERSION } from './version.js';
import { withCommands } from './commands/option-values.js';
import { writeJson } from './commands/common.js';
import { checkCommand } from './commands/check-command.js';
import { buildCommand } from './commands/build-command.js';
import { runCommand } from './commands/run-command.js';
import { importCommand } from './commands/import-command.js';
import { exportWeightsCommand } from './commands/export-weights-command.js';
import { deployCommand } from './commands/deploy-command.js';
import { randomWeightsCommand } from './commands/random-weights-command.js';
import { auditCommand } from './commands/audit-command.js';
import { diagramsCommand } from './commands/diagrams-command.js';
import { fmtCommand } from './commands/fmt-command.js';
import { reportCommand } from './commands/report-command.js';
import { simulateCommand } from './commands/simulate-command.js';
import { prepareVideoCommand } from './commands/prepare-video-command.js';
import { setupMpSpdzCommand } from './commands/setup-mp-spdz-command.js';

/** Every command, in the order --help lists them. */
const COMMANDS = [
  checkCommand,
  buildCommand,
  runCommand,
  importCommand,
  exportWeightsCommand,
  deployCommand,
  randomWeightsCommand,
  auditCommand,
  diagramsCommand,
  fmtCommand,
  reportCommand,
  simulateCommand,
  prepareVideoCommand,
  setupMpSpdzCommand,
] as const;

/** `--range -1,1`: yargs takes a value starting with '-' for an option; joined as `--range=-1,1` it is the value. */
function negativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--range' && /^-[\d.]/.test(argv[i + 1] ?? '')) out.push(`--range=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

async function main(argv: string[]): Promise<void> {
  const cli: Argv = withCommands(yargs(negativeValues(argv)), COMMANDS)
    .scriptName('ppvc-dsl')
    .usage('$0 <command> [options]\n\nCompile privacy-preserving video classification pipelines (.ppvc) to MP-SPDZ programs.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'name a command; see --help')
    .option('json', { type: 'boolean', describe: 'machine-readable output', default: false })
    .option('force', { type: 'boolean', describe: 'build even when the memory estimate exceeds this machine', default: false })
    .fail((msg, err) => {
      if (err) throw err;
      throw new UserError(msg);
    })
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100));
  await cli.parseAsync();
}

// A closed pipe (`ppvc-dsl check f | head -1`) is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

/** Whether the command line asks for --json (the last of --json, --json=BOOL and --no-json wins). */
function jsonRequested(argv: string[]): boolean {
  let on = false;
  for (const a of argv) {
    if (a === '--') break;
    if (a === '--json' || a === '--json=true') on = true;
    else if (a === '--no-json' || a === '--json=false') on = false;
  }
  return on;
}

/** A failure as --json reports it on stdout (the message goes to stderr as well, for whoever watches). */
function errorJson(e: unknown): { ok: false; error: Record<string, unknown> } {
  if (e instanceof UserError) return { ok: false, error: { kind: 'user', exitStatus: 1, message: e.message, diagnostics: e.diagnostics.map(diagnosticToJson) } };
  if (e instanceof EnvironmentError) return { ok: false, error: { kind: 'environment', exitStatus: 2, message: e.message, hints: e.hints } };
  return { ok: false, error: { kind: 'internal', exitStatus: 2, message: e instanceof Error ? e.message : String(e), hints: ['this is a bug in ppvc-dsl; please report it with the input that caused it'] } };
}

main(hideBin(process.argv)).catch((e: unknown) => {
  if (jsonRequested(hideBin(process.argv))) writeJson(errorJson(e));
  if (e instanceof UserError) {
    for (const line of formatDiagnostics(e.diagnostics)) process.stderr.write(line + '\n');
    process.exitCode = 1;
  } else if (e instanceof EnvironmentError) {
    process.stderr.write(printable(`error: ${e.message}\n`));
    for (const h of e.hints) process.stderr.write(printable(`  help: ${h}\n`));
    process.exitCode = 2;
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`internal error: ${msg}\n  this is a bug in ppvc-dsl; please report it with the input that caused it\n`);
    if (process.env['PPVC_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 2;
  }
});
