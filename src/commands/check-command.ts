// `ppvc-dsl check FILE`: the pipeline checked, its layers and what it discloses to whom.
// Registered in cli.ts (COMMANDS).
import { diagnosticToJson } from '../diagnostics.js';
import { formatShape } from '../ir/shapes.js';
import { disclosureOf, formatDisclosure } from '../audit/disclosure.js';
import { checked } from './common.js';
import { pipelineSummary as summary } from './stages.js';
import { type Command, fileArgument, protocolOption } from './options.js';

export const checkCommand: Command = {
  command: 'check <file>',
  describe: 'parse and check a pipeline; report every error with its location',
  builder: (y) => y.positional('file', fileArgument()).option('protocol', protocolOption),
  handler: (a) => {
    const r = checked(a);
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
};
