// `ppvc-dsl run FILE`: build, compile if out of date and run every party on this machine
// (commands/stages.ts runLocally); the result record printed.
// Registered in cli.ts (COMMANDS).
import { checked } from './common.js';
import { checkedTimeout, partyInputFiles, requireMpSpdz, runLocally } from './stages.js';
import { type Command, inputAndOutput, protocolOption, styleOptions } from './options.js';

export const runCommand: Command = {
  command: 'run <file>',
  describe: 'build, compile if out of date, and run every party on this machine; report the revealed output and the cost',
  builder: (y) =>
    inputAndOutput(y, { name: 'file' }, { describe: 'build directory (default: out/<pipeline name>)' })
      .option('local', { type: 'boolean', default: true, describe: 'all parties on this machine (the only mode of run; see deploy)' })
      .option('video-input', { type: 'string', describe: "the video owner's input file" })
      .option('model-input', { type: 'string', describe: "the model owner's input file (selection matrix, then weights)" })
      .option('input', { type: 'array', string: true, describe: 'PARTY=FILE for any party (repeatable)' })
      .option('protocol', { ...protocolOption, describe: 'MPC protocol, or emulate (emulate.x, in the clear)' })
      .option('mp-spdz', { type: 'string', describe: 'MP-SPDZ directory (default: $MP_SPDZ_HOME)' })
      .option('patch-mp-spdz', { type: 'boolean', default: false, describe: "add the program's helpers to that tree's Compiler/ml.py if missing (modifies the tree)" })
      .option('results', { type: 'string', describe: 'append the result record (JSON line) to this file' })
      .option('timeout', { type: 'number', default: 3600, describe: 'seconds before the parties are stopped' })
      .option('ignore-precheck', {
        type: 'boolean',
        default: false,
        describe: 'start the parties even when the check in the clear (float against the fixed-point emulation) finds an overflow, a lost signal or another label; its finding is printed as a warning',
      })
      .options(styleOptions),
  handler: async (a) => {
    // option errors first: they need nothing installed; then whether MP-SPDZ is configured
    // at all (at once, before the seconds of the check in the clear)
    checkedTimeout(a.timeout as number);
    await requireMpSpdz(a['mp-spdz'] as string | undefined);
    const r = checked(a);
    if (!r) return;
    const files = partyInputFiles(r.pipeline, { video: a['video-input'] as string | undefined, model: a['model-input'] as string | undefined, specs: a.input as string[] | undefined });
    const { formatRecord } = await import('../backend/run-pipeline.js');
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
};
