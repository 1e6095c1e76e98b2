#!/usr/bin/env node
// The ppvc-dsl command line. Every failure ends in a message and an exit status (1: the
// user's input, 2: the environment or the tool), never a stack trace (PPVC_DEBUG=1 shows one).
import { join, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EnvironmentError, UserError, diagnosticToJson, formatDiagnostics, printable } from './diagnostics.js';
import { randomVideo } from './inputs/random-inputs.js';
import { buildPipeline, commandsSummary, inputsStep, setupSteps } from './compile.js';
import { OPTIMIZATION_NAMES } from './target/optimizations.js';
import { PROTOCOL_NAMES, type ProtocolName } from './target/protocols.js';
import { refuseInputAsOutput, writeFilesAtomic } from './util/files.js';
import type { Pipeline } from './ir/pipeline.js';
import { checkAndSuggestBounds, formatBoundSuggestions, type BoundSuggestion } from './simulate/declared-bounds.js';
import { formatShape } from './ir/shapes.js';
import { disclosureOf, formatDisclosure } from './audit/disclosure.js';
import { VERSION } from './version.js';
import { deployCommand } from './commands/deploy-command.js';
import { checkedPipeline, checkedSeed, pipelineFiles, readText } from './commands/common.js';
import { buildOptionsFrom, type TargetOverrides } from './commands/target-overrides.js';
import { IMPORT_DEFAULTS, auditedArtifacts, checkedTimeout, importModelText, partyInputFiles, pipelineSummary as summary, randomModelOwnerValues, requireMpSpdz, runLocally } from './commands/stages.js';
import { fmtCommand } from './commands/fmt-command.js';
import { reportCommand } from './commands/report-command.js';
import { simulateCommand } from './commands/simulate-command.js';
import { prepareVideoCommand } from './commands/prepare-video-command.js';
import { setupMpSpdzCommand } from './commands/setup-mp-spdz-command.js';

function checked(path: string, json: boolean, protocol?: ProtocolName, budget?: number, a?: { style?: unknown; opt?: unknown }) {
  return checkedPipeline(path, json, buildOptionsFrom({ protocol, budget, style: a?.style as TargetOverrides['style'], opt: a?.opt as string | undefined }));
}

const styleOptions = {
  style: { choices: ['optimized', 'seed'] as const, default: 'optimized' as const, describe: "program style: 'seed' reproduces the paper's frame-by-frame program (the baseline of benchmarks)" },
  budget: { type: 'number', describe: "compile.py's optimisation budget -b (default: the pipeline's, else the protocol's)" },
  opt: {
    type: 'string',
    describe: `switch optimisations on or off on top of the style: comma-separated, no- for off (${OPTIMIZATION_NAMES.join(', ')}); default: the protocol's`,
  },
} as const;

const protocolOption = {
  describe: "MPC protocol (overrides the pipeline's target)",
  choices: PROTOCOL_NAMES,
  type: 'string',
} as const;

/** Positionals, which the empty-value check leaves to the commands (a missing file is their message). */
const POSITIONALS = new Set(['file', 'files', 'model', 'video', 'results']);
/** Options that take one value: yargs turns a repeated one into an array. */
const SINGLE_VALUED = new Set(['range', 'source', 'protocols', 'ring', 'jobs', 'protocol', 'out', 'mp-spdz', 'video-input', 'model-input', 'frames', 'seed', 'style', 'opt', 'budget', 'model', 'timeout', 'select', 'hosts']);

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
  const cli: Argv = yargs(negativeValues(argv))
    .scriptName('ppvc-dsl')
    .usage('$0 <command> [options]\n\nCompile privacy-preserving video classification pipelines (.ppvc) to MP-SPDZ programs.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'name a command; see --help')
    .option('json', { type: 'boolean', describe: 'machine-readable output', default: false })
    .option('force', { type: 'boolean', describe: 'build even when the memory estimate exceeds this machine', default: false })
    .command(
      'check <file>',
      'parse and check a pipeline; report every error with its location',
      (y) => y.positional('file', { type: 'string', demandOption: true }).option('protocol', protocolOption),
      (a) => {
        const r = checked(a.file as string, a.json as boolean, a.protocol as ProtocolName | undefined);
        if (!r) return;
        const p = r.pipeline;
        if (a.json) {
          process.stdout.write(JSON.stringify({ ok: true, diagnostics: r.diagnostics.map(diagnosticToJson), pipeline: summary(p), disclosure: disclosureOf(p) }, null, 2) + '\n');
          return;
        }
        const s = summary(p);
        // the layers the program computes: a folded batch normalisation is part of the layer before
        const folded = p.model.layers.filter((l) => 'folded' in l && l.folded).length;
        const layers = folded
          ? `${p.model.layers.length} layers (${p.model.layers.length + folded} in the model, ${folded} batch normalisation${folded === 1 ? '' : 's'} folded into the layer before)`
          : `${p.model.layers.length} layers`;
        process.stdout.write(
          `${a.file}: ok: pipeline ${p.name}, video ${formatShape(s.video)} from ${p.video.owner.name}, ` +
            `${s.selected} frames (${p.selection.kind}), ${layers}, ${s.parameters} parameters, ` +
            `${p.classes} classes, ${p.target.protocol}\n`,
        );
        // columns as wide as the longest name and op (imported layer names run long)
        const nameWidth = Math.max(14, ...p.model.layers.map((l) => l.name.length));
        const opWidth = Math.max(8, ...p.model.layers.map((l) => l.op.length));
        for (const l of p.model.layers) process.stdout.write(`  ${l.name.padEnd(nameWidth)} ${l.op.padEnd(opWidth)} ${formatShape(l.inShape)} -> ${formatShape(l.outShape)}\n`);
        // what the program reveals, to whom, what every party knows, and the truncation caveat
        process.stdout.write(formatDisclosure(disclosureOf(p)));
      },
    )
    .command(
      'build <file>',
      'compile a pipeline to an MP-SPDZ program, ml.py.patch, inputs.json and the commands to run it',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .option('out', { alias: 'o', type: 'string', describe: 'output directory (default: out/<pipeline name>)' })
          .option('protocol', protocolOption)
          .option('mp-spdz', { type: 'string', describe: 'MP-SPDZ directory (default: $MP_SPDZ_HOME); compiles the program there' })
          .option('patch-mp-spdz', { type: 'boolean', default: false, describe: "apply ml.py.patch to that MP-SPDZ tree's Compiler/ml.py if it is missing (modifies the tree)" })
          .option('allow-undeclared-reveals', { type: 'boolean', default: false, describe: 'write a program even if its audit finds openings the pipeline does not declare (marked as leaking)' })
          .options(styleOptions),
      async (a) => {
        const r = checked(a.file as string, a.json as boolean, a.protocol as ProtocolName | undefined, a.budget as number | undefined, a);
        if (!r) return;
        // audited: the generated program and helper code themselves, so a generator bug cannot hide a reveal
        const artifacts = await auditedArtifacts(r.pipeline, a['allow-undeclared-reveals'] as boolean);
        const outDir = resolve((a.out as string | undefined) ?? join('out', r.pipeline.name));
        const cmds = commandsSummary(r.pipeline, artifacts.mlPatch !== '');
        const { mpSpdzDirFrom, locateMpSpdz, checkPatchApplied, applyPatch, missingHelpersIn, placeProgram, runCompile } = await import('./backend/mp-spdz.js');
        const mpDir = mpSpdzDirFrom(a['mp-spdz'] as string | undefined, r.pipeline);
        // an unusable MP-SPDZ is reported before anything is written
        const mp = mpDir ? locateMpSpdz(mpDir) : undefined;
        refuseInputAsOutput(Object.keys(artifacts.files).map((f) => join(outDir, f)), (a.out as string | undefined) ?? outDir, pipelineFiles(r.pipeline));
        const written = writeFilesAtomic(outDir, artifacts.files);
        let compiled: Awaited<ReturnType<typeof runCompile>> | undefined;
        if (mp) {
          const patchPath = join(outDir, 'ml.py.patch');
          if (artifacts.helpers.length > 0) {
            if (a['patch-mp-spdz'] && missingHelpersIn(mp, artifacts.helpers).length > 0) await applyPatch(mp, artifacts.helpers);
            checkPatchApplied(mp, artifacts.helpers, patchPath);
          }
          placeProgram(mp, r.pipeline.name, artifacts.program);
          if (!a.json) process.stderr.write(`compiling in ${mp.root}: ${cmds.compile}\n`);
          compiled = await runCompile(mp, r.pipeline);
          for (const w of compiled.unexpectedWarnings) process.stderr.write(`note: compile.py warns: ${w} (not a warning this program expects: please report it)\n`);
        }
        if (a.json) {
          const { output: _o, ...compileJson } = compiled ?? { output: '' };
          process.stdout.write(JSON.stringify({ ok: true, outDir, files: written, commands: cmds, compile: compiled ? compileJson : undefined }, null, 2) + '\n');
          return;
        }
        process.stdout.write(`wrote ${written.length} files to ${outDir}:\n${written.map((w) => `  ${w}`).join('\n')}\n`);
        if (!compiled) {
          process.stdout.write('\nMP-SPDZ not configured (--mp-spdz DIR, MP_SPDZ_HOME or ppvc-dsl setup-mp-spdz); these are the commands to run, in a shell where MP_SPDZ_HOME is your MP-SPDZ directory:\n');
        } else {
          process.stdout.write(`\ncompiled in ${compiled.seconds.toFixed(1)} s: ` +
            `${compiled.rounds ?? '?'} virtual machine rounds, expected ${compiled.expectedOnlineMB ?? '?'} MB online and ${compiled.expectedOfflineMB ?? '?'} MB offline\n\nto run:\n`);
        }
        // paste-ready: the output directory's files by absolute path, before the cd into MP-SPDZ
        const paths = { out: outDir, mpSpdz: mp?.root };
        const steps = setupSteps(r.pipeline, artifacts.mlPatch !== '', paths);
        // compiled: build placed the program and compiled it there; what is left is the cd, the certificates and the run
        for (const s of compiled ? steps.slice(steps.findIndex((x) => x.startsWith('cd '))) : [...steps, cmds.compile]) process.stdout.write(`  ${s}\n`);
        process.stdout.write(`then, with ${inputsStep(paths)}, run all parties on this machine:\n  ${cmds.runLocal}\nor one party per host:\n`);
        for (const c of cmds.runParties) process.stdout.write(`  ${c.command}\n`);
      },
    )
    .command(
      'run <file>',
      'build, compile if out of date, and run every party on this machine; report the revealed output and the cost',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .option('local', { type: 'boolean', default: true, describe: 'all parties on this machine (the only mode of run; see deploy)' })
          .option('video-input', { type: 'string', describe: "the video owner's input file" })
          .option('model-input', { type: 'string', describe: "the model owner's input file (selection matrix, then weights)" })
          .option('input', { type: 'array', string: true, describe: 'PARTY=FILE for any party (repeatable)' })
          .option('protocol', { ...protocolOption, describe: 'MPC protocol, or emulate (emulate.x, in the clear)' })
          .option('mp-spdz', { type: 'string', describe: 'MP-SPDZ directory (default: $MP_SPDZ_HOME)' })
          .option('out', { alias: 'o', type: 'string', describe: 'build directory (default: out/<pipeline name>)' })
          .option('patch-mp-spdz', { type: 'boolean', default: false, describe: "add the program's helpers to that tree's Compiler/ml.py if missing (modifies the tree)" })
          .option('results', { type: 'string', describe: 'append the result record (JSON line) to this file' })
          .option('timeout', { type: 'number', default: 3600, describe: 'seconds before the parties are stopped' })
          .option('ignore-precheck', {
            type: 'boolean',
            default: false,
            describe: 'start the parties even when the check in the clear (float against the fixed-point emulation) finds an overflow, a lost signal or another label; its finding is printed as a warning',
          })
          .options(styleOptions),
      async (a) => {
        // option errors first: they need nothing installed; then whether MP-SPDZ is configured
        // at all (at once, before the seconds of the check in the clear)
        checkedTimeout(a.timeout as number);
        await requireMpSpdz(a['mp-spdz'] as string | undefined);
        const r = checked(a.file as string, a.json as boolean, a.protocol as ProtocolName | undefined, a.budget as number | undefined, a);
        if (!r) return;
        const files = partyInputFiles(r.pipeline, { video: a['video-input'] as string | undefined, model: a['model-input'] as string | undefined, specs: a.input as string[] | undefined });
        const { formatRecord } = await import('./backend/run-pipeline.js');
        const record = await runLocally(r.pipeline, files, {
          mpSpdz: a['mp-spdz'] as string | undefined,
          out: a.out as string | undefined,
          patchMpSpdz: a['patch-mp-spdz'] as boolean,
          timeoutSeconds: a.timeout as number,
          resultsFile: a.results as string | undefined,
          onProgress: a.json ? undefined : (msg) => process.stderr.write(`${msg}\n`),
          ignorePrecheck: a['ignore-precheck'] as boolean,
          onWarning: (msg) => process.stderr.write(`warning: ${msg}\n`),
        });
        process.stdout.write(a.json ? JSON.stringify(record, null, 2) + '\n' : formatRecord(record) + '\n');
      },
    )
    .command(
      'import <model>',
      'turn a Keras JSON or TF.js model file into a ppvc-dsl pipeline (the layer stack, checked)',
      (y) =>
        y
          .positional('model', { type: 'string', demandOption: true })
          .option('out', { alias: 'o', type: 'string', describe: 'write the pipeline here (default: print it)' })
          .option('frames', { type: 'number', default: IMPORT_DEFAULTS.frames, describe: 'N, the video length the pipeline is written for' })
          .option('select', { type: 'number', default: IMPORT_DEFAULTS.select, describe: 'n, frames selected obliviously' })
          .option('range', {
            type: 'string',
            describe: "LO,HI: the values the model expects its input frames in (its training preprocessing, e.g. -1,1); default: ppvc-dsl's [0, 1], marked in the pipeline as to be checked",
          }),
      async (a) => {
        const r = await importModelText(a.model as string, { frames: a.frames as number, select: a.select as number, range: a.range !== undefined ? String(a.range) : undefined });
        if (a.json) {
          process.stdout.write(JSON.stringify({ ok: true, ...r.summary }, null, 2) + '\n');
        } else if (a.out) {
          const { writeFileAtomic } = await import('./util/files.js');
          refuseInputAsOutput(a.out as string, a.out as string, [a.model as string]);
          writeFileAtomic(a.out as string, r.text);
          process.stderr.write(`wrote ${a.out}: ${r.summary.layerCount}; ${r.summary.parameterCount}\n`);
        } else process.stdout.write(r.text);
        if (!a.json && !r.summary.rangeGiven) {
          const [lo, hi] = r.summary.range;
          process.stderr.write(`note: the video's range [${lo}, ${hi}] is ppvc-dsl's default: check it against the model's training preprocessing (--range LO,HI)\n`);
        }
      },
    )
    .command(
      'export-weights <file>',
      "write the model owner's input file from the model file's weights, in the order and layout of inputs.json",
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'the pipeline (.ppvc)' })
          .option('model', { type: 'string', describe: "the model file with weights (default: the pipeline's `from` file)" })
          .option('frames', { type: 'string', default: 'even', describe: "selection matrix rows: 'even', 'every:K' or a list '0,15,30'" })
          .option('protocol', protocolOption)
          .option('out', { alias: 'o', type: 'string', demandOption: true }),
      async (a) => {
        const r = checked(a.file as string, a.json as boolean, a.protocol as ProtocolName | undefined);
        if (!r) return;
        const { modelOwnerFile } = await import('./commands/model-import.js');
        const values = modelOwnerFile(r.pipeline, { model: a.model as string | undefined, frames: a.frames as string });
        // NaN or out-of-range weights make a file that run and MP-SPDZ reject: refuse to write it
        const { validatePartyInput } = await import('./inputs/validate.js');
        const inputs = buildPipeline(r.pipeline).inputs;
        validatePartyInput(values.source, inputs.parties.find((x) => x.party === values.party)!, values.values, r.pipeline.target);
        const suggestions = checkAndSuggestBounds(r.pipeline, inputs, new Map([[values.party, values.values]]), values.source);
        const { formatValues } = await import('./inputs/text-format.js');
        const { writeFileAtomic } = await import('./util/files.js');
        refuseInputAsOutput(a.out as string, a.out as string, [...pipelineFiles(r.pipeline), ...values.files]);
        writeFileAtomic(a.out as string, formatValues(values.values));
        if (a.json) {
          writeJson({ ok: true, out: resolve(a.out as string), values: values.values.length, party: values.party, model: values.source, bounds: suggestions, diagnostics: r.diagnostics.map(diagnosticToJson) });
          return;
        }
        process.stdout.write(`wrote ${values.values.length} values for party ${values.party} to ${a.out}\n`);
        printBoundSuggestions(suggestions, r.pipeline);
      },
    )
    .command(deployCommand)
    .command(
      'random-weights <file>',
      "write a model owner's input file with random weights at a trained model's scales (He-uniform per layer kind, LeCun for the output layer, batch normalisation as identity; fixed seed) and a frame selection, for tests and benchmarks",
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true })
          .option('seed', { type: 'number', default: 1, describe: 'seed of the random weights: an integer from 0 to 4294967295' })
          .option('frames', { type: 'string', default: 'even', describe: "selection: 'even' (evenly spaced), 'every:K' (every K-th from 0), or a list '0,15,30'" })
          .option('protocol', protocolOption)
          .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'output file' })
          .option('video-out', { type: 'string', describe: "also write the video owner's input file: a random video in the pipeline's declared range (from the same seed), for a first run without a clip" }),
      async (a) => {
        const seed = checkedSeed(a.seed);
        const r = checked(a.file as string, a.json as boolean, a.protocol as ProtocolName | undefined);
        if (!r) return;
        const p = r.pipeline;
        const videoOut = a['video-out'] as string | undefined;
        if (videoOut !== undefined && p.video.owner.id === p.model.owner.id) {
          throw new UserError(`--video-out: ${p.video.owner.name} owns both the video and the model, so ${a.out} already holds a random video (before the weights)`);
        }
        const { party, values, frames, bounds: suggestions } = await randomModelOwnerValues(p, buildPipeline(p).inputs, seed, a.frames as string);
        const { formatValues } = await import('./inputs/text-format.js');
        const { writeFileAtomic } = await import('./util/files.js');
        for (const out of [a.out as string, ...(videoOut !== undefined ? [videoOut] : [])]) refuseInputAsOutput(out, out, pipelineFiles(p));
        writeFileAtomic(a.out as string, formatValues(values));
        const video = videoOut !== undefined ? randomVideo(p, seed) : undefined;
        if (video) writeFileAtomic(videoOut!, formatValues(video));
        if (a.json) {
          const videoJson = video ? { videoOut: resolve(videoOut!), videoValues: video.length } : {};
          writeJson({ ok: true, out: resolve(a.out as string), values: values.length, party, seed, frames, bounds: suggestions, ...videoJson, diagnostics: r.diagnostics.map(diagnosticToJson) });
          return;
        }
        process.stdout.write(`wrote ${values.length} values for party ${party} to ${a.out}\n`);
        if (video) process.stdout.write(`wrote ${video.length} values for party ${p.video.owner.id} (a random video in [${p.video.range.join(', ')}]) to ${videoOut}\n`);
        printBoundSuggestions(suggestions, p);
      },
    )
    .command(
      'audit <file>',
      'list every value the generated program opens (and to whom) and every input (and from whom); read from the program text itself',
      (y) =>
        y
          .positional('file', { type: 'string', demandOption: true, describe: 'a pipeline (.ppvc) or a generated program (.mpc)' })
          .option('protocol', protocolOption)
          .options(styleOptions),
      async (a) => {
        // the .mpc with the ml.py.patch beside it, against its header; a .ppvc's generated
        // program and helper code, against its reveal statements (src/commands/audit-command.ts)
        const { auditMpcFile, auditBuild, auditJson, formatAudit } = await import('./commands/audit-command.js');
        const path = a.file as string;
        let result: ReturnType<typeof auditMpcFile>;
        if (path.endsWith('.mpc')) result = auditMpcFile(path, readText(path, 'a .ppvc or .mpc file').text);
        else {
          const r = checked(path, a.json as boolean, a.protocol as ProtocolName | undefined, undefined, a);
          if (!r) return;
          result = auditBuild(path, buildPipeline(r.pipeline));
        }
        process.stdout.write(a.json ? auditJson(result) : formatAudit(result));
        if (!result.verdict.ok) process.exitCode = 1;
      },
    )
    .command(
      'diagrams',
      'write the grammar as HTML syntax diagrams',
      (y) => y.option('out', { alias: 'o', type: 'string', default: 'grammar/syntax-diagrams.html' }),
      async (a) => {
        const { offlineSyntaxDiagramsHtml } = await import('./editor/diagrams-offline.js');
        const { writeFileAtomic } = await import('./util/files.js');
        writeFileAtomic(a.out as string, offlineSyntaxDiagramsHtml());
        if (a.json) writeJson({ ok: true, out: resolve(a.out as string) });
        else process.stdout.write(`wrote ${a.out}\n`);
      },
    )
    .command(fmtCommand)
    .command(reportCommand)
    .command(simulateCommand)
    .command(prepareVideoCommand)
    .command(setupMpSpdzCommand)
    .middleware((argv) => {
      // a repeated option becomes an array in yargs: say so instead of failing later
      for (const [k, v] of Object.entries(argv)) {
        if (Array.isArray(v) && SINGLE_VALUED.has(k)) throw new UserError(`--${k} is given more than once`);
        // `-o` at the end of the line is '' (which resolves to the working directory); `--seed abc` is NaN
        if (k.length > 1 && !/[A-Z]/.test(k) && !POSITIONALS.has(k)) {
          if (v === '') throw new UserError(`--${k} needs a value (it is empty)`);
          if (typeof v === 'number' && !Number.isFinite(v)) throw new UserError(`--${k}: expected a number`);
        }
      }
    }, true)
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

function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
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

/** After writing a model owner's file: the bounds its weights prove, as `simulate` words them (nothing when none would narrow). */
function printBoundSuggestions(suggestions: BoundSuggestion[], p: Pipeline): void {
  const line = formatBoundSuggestions(suggestions, p);
  if (line) process.stdout.write(`${line}\n`);
}
