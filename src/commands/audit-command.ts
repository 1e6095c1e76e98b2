// `ppvc-dsl audit FILE`: every opening and input of a generated program (commands/audit-result.ts).
// Registered in cli.ts (COMMANDS).
import { buildPipeline } from '../compile.js';
import { checked, readText } from './common.js';
import { type Command, fileArgument, protocolOption, styleOptions } from './options.js';

export const auditCommand: Command = {
  command: 'audit <file>',
  describe: 'list every value the generated program opens (and to whom) and every input (and from whom); read from the program text itself',
  builder: (y) =>
    y
      .positional('file', fileArgument('a pipeline (.ppvc) or a generated program (.mpc)'))
      .option('protocol', protocolOption)
      .options(styleOptions),
  handler: async (a) => {
    // the .mpc with the ml.py.patch beside it, against its header; a .ppvc's generated
    // program and helper code, against its reveal statements (src/commands/audit-command.ts)
    const { auditMpcFile, auditBuild, auditJson, formatAudit } = await import('./audit-result.js');
    const path = a.file as string;
    let result: ReturnType<typeof auditMpcFile>;
    if (path.endsWith('.mpc')) result = auditMpcFile(path, readText(path, 'a .ppvc or .mpc file').text);
    else {
      const r = checked(a, path);
      if (!r) return;
      result = auditBuild(path, buildPipeline(r.pipeline));
    }
    process.stdout.write(a.json ? auditJson(result) : formatAudit(result));
    if (!result.verdict.ok) process.exitCode = 1;
  },
};
