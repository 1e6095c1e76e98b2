// `ppvc-dsl diagrams`: the grammar as HTML syntax diagrams.
// Registered in cli.ts (COMMANDS).
import { resolve } from 'node:path';
import { writeJson } from './common.js';
import type { Command } from './options.js';

export const diagramsCommand: Command = {
  command: 'diagrams',
  describe: 'write the grammar as HTML syntax diagrams',
  builder: (y) => y.option('out', { alias: 'o', type: 'string', default: 'grammar/syntax-diagrams.html' }),
  handler: async (a) => {
    const { offlineSyntaxDiagramsHtml } = await import('../editor/diagrams-offline.js');
    const { writeFileAtomic } = await import('../util/files.js');
    writeFileAtomic(a.out as string, offlineSyntaxDiagramsHtml());
    if (a.json) writeJson({ ok: true, out: resolve(a.out as string) });
    else process.stdout.write(`wrote ${a.out}\n`);
  },
};
