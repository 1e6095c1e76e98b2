// `ppvc-dsl export-weights FILE -o OUT`: the model owner's input file from the model file's
// weights, validated and checked against the declared bounds before it is written.
// Registered in cli.ts (COMMANDS).
import { basename, resolve } from 'node:path';
import { calibrate, calibrationOption, calibrationRequest } from './calibration.js';
import { diagnosticToJson } from '../diagnostics.js';
import { buildPipeline } from '../compile.js';
import { refuseInputAsOutput } from '../util/files.js';
import { checkAndSuggestBounds } from '../simulate/declared-bounds.js';
import { checked, pipelineFiles, printBoundSuggestions, printCalibration, writeJson } from './common.js';
import { type Command, inputAndOutput, protocolOption } from './options.js';

export const exportWeightsCommand: Command = {
  command: 'export-weights <file>',
  describe: "write the model owner's input file from the model file's weights, in the order and layout of inputs.json",
  builder: (y) =>
    inputAndOutput(y, { name: 'file', describe: 'the pipeline (.ppvc)' }, { describe: 'the weights file to write (MP-SPDZ text, one value a line)', required: true })
      .option('model', { type: 'string', describe: "the model file with weights (default: the pipeline's `from` file)" })
      .option('frames', { type: 'string', default: 'even', describe: "selection matrix rows: 'even', 'every:K' or a list '0,15,30'" })
      .option('protocol', protocolOption)
      .option('calibration', calibrationOption),
  handler: async (a) => {
    const calibration = calibrationRequest(a.calibration);
    const r = checked(a);
    if (!r) return;
    const { modelOwnerFile } = await import('./model-import.js');
    const values = modelOwnerFile(r.pipeline, { model: a.model as string | undefined, frames: a.frames as string });
    // NaN or out-of-range weights make a file that run and MP-SPDZ reject: refuse to write it
    const { validatePartyInput } = await import('../inputs/validate.js');
    const artifacts = buildPipeline(r.pipeline);
    const inputs = artifacts.inputs;
    validatePartyInput(values.source, inputs.parties.find((x) => x.party === values.party)!, values.values, r.pipeline.target);
    const suggestions = checkAndSuggestBounds(r.pipeline, inputs, new Map([[values.party, values.values]]), values.source);
    const { formatValues } = await import('../inputs/text-format.js');
    const { writeFileAtomic } = await import('../util/files.js');
    refuseInputAsOutput(a.out as string, a.out as string, [...pipelineFiles(r.pipeline), ...values.files]);
    writeFileAtomic(a.out as string, formatValues(values.values));
    const calibrated = calibration && (await calibrate(artifacts, values.values, { videos: calibration, weightsSource: basename(values.source) }));
    if (a.json) {
      writeJson({ ok: true, out: resolve(a.out as string), values: values.values.length, party: values.party, model: values.source, bounds: suggestions, calibration: calibrated, diagnostics: r.diagnostics.map(diagnosticToJson) });
      return;
    }
    process.stdout.write(`wrote ${values.values.length} values for party ${values.party} to ${a.out}\n`);
    printBoundSuggestions(suggestions, r.pipeline);
    if (calibrated) printCalibration(calibrated);
  },
};
