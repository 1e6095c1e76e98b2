// `ppvc-dsl import MODEL`: a Keras or TF.js model file as a checked pipeline (commands/model-import.ts).
// Registered in cli.ts (COMMANDS).
import { refuseInputAsOutput } from '../util/files.js';
import { IMPORT_DEFAULTS, importModelText } from './stages.js';
import { type Command, inputAndOutput } from './options.js';

export const importCommand: Command = {
  command: 'import <model>',
  describe: 'turn a Keras JSON or TF.js model file into a ppvc-dsl pipeline (the layer stack, checked)',
  builder: (y) =>
    inputAndOutput(y, { name: 'model' }, { describe: 'write the pipeline here (default: print it)' })
      .option('frames', { type: 'number', default: IMPORT_DEFAULTS.frames, describe: 'N, the video length the pipeline is written for' })
      .option('select', { type: 'number', default: IMPORT_DEFAULTS.select, describe: 'n, frames selected obliviously' })
      .option('range', {
        type: 'string',
        describe: "LO,HI: the values the model expects its input frames in (its training preprocessing, e.g. -1,1); default: ppvc-dsl's [0, 1], marked in the pipeline as to be checked",
      }),
  handler: async (a) => {
    const r = await importModelText(a.model as string, { frames: a.frames as number, select: a.select as number, range: a.range !== undefined ? String(a.range) : undefined });
    if (a.json) {
      process.stdout.write(JSON.stringify({ ok: true, ...r.summary }, null, 2) + '\n');
    } else if (a.out) {
      const { writeFileAtomic } = await import('../util/files.js');
      refuseInputAsOutput(a.out as string, a.out as string, [a.model as string]);
      writeFileAtomic(a.out as string, r.text);
      process.stderr.write(`wrote ${a.out}: ${r.summary.layerCount}; ${r.summary.parameterCount}\n`);
    } else process.stdout.write(r.text);
    if (!a.json && !r.summary.rangeGiven) {
      const [lo, hi] = r.summary.range;
      process.stderr.write(`note: the video's range [${lo}, ${hi}] is ppvc-dsl's default: check it against the model's training preprocessing (--range LO,HI)\n`);
    }
  },
};
