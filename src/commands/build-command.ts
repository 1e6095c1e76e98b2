// `ppvc-dsl build FILE`: the program, ml.py.patch, inputs.json and commands.json written (audited
// first); compiled in MP-SPDZ when one is configured; the commands to run it printed.
// Registered in cli.ts (COMMANDS).
import { join, resolve } from 'node:path';
import { commandsSummary, inputsStep, setupSteps } from '../compile.js';
import { refuseInputAsOutput, writeFilesAtomic } from '../util/files.js';
import { checked, pipelineFiles } from './common.js';
import { auditedArtifacts } from './stages.js';
import { type Command, inputAndOutput, protocolOption, styleOptions } from './options.js';

export const buildCommand: Command = {
  command: 'build <file>',
  describe: 'compile a pipeline to an MP-SPDZ program, ml.py.patch, inputs.json and the commands to run it',
  builder: (y) =>
    inputAndOutput(y, { name: 'file' }, { describe: 'output directory (default: out/<pipeline name>)' })
      .option('protocol', protocolOption)
      .option('mp-spdz', { type: 'string', describe: 'MP-SPDZ directory (default: $MP_SPDZ_HOME); compiles the program there' })
      .option('patch-mp-spdz', { type: 'boolean', default: false, describe: "apply ml.py.patch to that MP-SPDZ tree's Compiler/ml.py if it is missing (modifies the tree)" })
      .option('allow-undeclared-reveals', { type: 'boolean', default: false, describe: 'write a program even if its audit finds openings the pipeline does not declare (marked as leaking)' })
      .options(styleOptions),
  handler: async (a) => {
    const r = checked(a);
    if (!r) return;
    // audited: the generated program and helper code themselves, so a generator bug cannot hide a reveal
    const artifacts = await auditedArtifacts(r.pipeline, a['allow-undeclared-reveals'] as boolean);
    const outDir = resolve((a.out as string | undefined) ?? join('out', r.pipeline.name));
    const cmds = commandsSummary(r.pipeline, artifacts.mlPatch !== '');
    const { mpSpdzDirFrom, locateMpSpdz, checkPatchApplied, applyPatch, missingHelpersIn, placeProgram, runCompile } = await import('../backend/mp-spdz.js');
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
};
