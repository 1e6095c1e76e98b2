// `ppvc-dsl deploy <file> --hosts HOSTS -o DIR`: one directory per party with exactly what
// that party needs to run the pipeline on its own machine (see src/backend/deploy.ts).
// Registered in cli.ts (COMMANDS); errors are thrown as UserError (exit 1)
// or EnvironmentError (exit 2) for cli.ts's handler, like the other commands.
import { basename, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';
import { buildPipeline } from '../compile.js';
import { checkedPipeline, pipelineFiles, readText, styleFrom } from './common.js';
import { refuseInputAsOutput } from '../util/files.js';
import { PROTOCOLS, type ProtocolName } from '../target/protocols.js';
import { inputAndOutput, protocolOption, styleOptions } from './options.js';
import { calibrate, calibrationOption, calibrationRequest, formatCalibration, type CalibrationRecord } from './calibration.js';
import type { BuildArtifacts } from '../compile.js';
import { readValues64 } from '../inputs/read-values.js';
import { DEFAULT_PORT_BASE, type DeployManifest, deployBundle, parseHostsFile, readDeployInputs, writeBundle } from '../backend/deploy.js';

export interface DeployArgs {
  file: string;
  hosts: string;
  out?: string;
  replace: boolean;
  force?: boolean;
  protocol?: string;
  port: number;
  'video-input'?: string;
  'model-input'?: string;
  input?: string[];
  style: string;
  opt?: string;
  budget?: number;
  calibration?: unknown;
  'ignore-precheck': boolean;
  json?: boolean;
}

export const deployCommand: CommandModule<object, DeployArgs> = {
  command: 'deploy <file>',
  describe: "write, for each party, the files and commands it needs to run the pipeline on its own machine (its own input only)",
  builder: (y: Argv<object>) =>
    inputAndOutput(y, { name: 'file', describe: 'the .ppvc pipeline' }, { describe: 'output directory (default: out/<pipeline name>-deploy); must be new or empty' })
      .option('hosts', { type: 'string', demandOption: true, describe: "file with one host per party in party order: IP or name, optional :port; '#' comments" })
      .option('replace', { type: 'boolean', default: false, describe: 'write into a non-empty output directory, replacing an earlier deployment there' })
      .option('protocol', protocolOption)
      .option('port', { type: 'number', default: DEFAULT_PORT_BASE, describe: 'port base (-pn): party i listens on PORT+i unless its hosts line names a port' })
      .option('video-input', { type: 'string', describe: "the video owner's input file (goes into that party's directory only)" })
      .option('model-input', { type: 'string', describe: "the model owner's input file (selection matrix, then weights; that party's directory only)" })
      .option('input', { type: 'array', string: true, describe: "PARTY=FILE for any party (repeatable); each goes into that party's directory only" })
      .options(styleOptions)
      .option('calibration', { ...calibrationOption, describe: `${calibrationOption.describe}; needs --model-input, and the record goes into the model owner's directory only` })
      .option('ignore-precheck', { type: 'boolean', default: false, describe: "write the bundle although the calibration finds that the precision does not give float's label" }) as unknown as Argv<DeployArgs>,
  handler: async (a) => {
    const json = Boolean(a.json);
    const checked = checkedPipeline(a.file, json, { protocol: a.protocol as ProtocolName | undefined, budget: a.budget, force: a.force, ...styleFrom(a) });
    if (!checked) return;
    const p = checked.pipeline;
    const hosts = parseHostsFile(readText(a.hosts, 'a hosts file').text, a.hosts);
    const artifacts = buildPipeline(p);
    const files = new Map<number, string>();
    const set = (id: number, path: string, flag: string) => {
      if (files.has(id) && files.get(id) !== path) throw new UserError(`${flag}: party ${id} already has the input file ${files.get(id)}`);
      files.set(id, path);
    };
    if (a['video-input']) set(p.video.owner.id, a['video-input'], '--video-input');
    if (a['model-input']) set(p.model.owner.id, a['model-input'], '--model-input');
    for (const spec of a.input ?? []) {
      const m = /^(\w+)=(.+)$/.exec(spec);
      const party = m ? p.parties.find((x) => x.name === m[1] || String(x.id) === m[1]) : undefined;
      if (!m || !party) throw new UserError(`--input ${spec}: expected PARTY=FILE with a party name or id (${p.parties.map((x) => x.name).join(', ')})`);
      set(party.id, m[2]!, `--input ${spec}`);
    }
    const inputs = readDeployInputs(artifacts, files);
    const calibration = await calibrateBundle(artifacts, files, a, json);
    const privateFiles = calibration && 'verdict' in calibration ? new Map([[p.model.owner.id, { 'calibration.json': JSON.stringify(calibration, null, 2) + '\n' }]]) : undefined;
    const bundle = deployBundle(artifacts, hosts, { portBase: a.port, inputs, hostsSource: a.hosts, privateFiles });
    const outDir = resolve(a.out ?? join('out', `${p.name}-deploy`));
    refuseInputAsOutput(Object.keys(bundle).map((f) => join(outDir, f)), a.out ?? outDir, [...pipelineFiles(p), a.hosts, ...files.values()]);
    const written = writeBundle(outDir, bundle, { replace: a.replace });
    const manifest = JSON.parse(bundle['deploy.json']!) as DeployManifest;
    if (json) {
      process.stdout.write(JSON.stringify({ ok: true, outDir, written, ...manifest, calibration }, null, 2) + '\n');
      return;
    }
    if (calibration) process.stdout.write(formatCalibration(calibration).join('\n') + '\n');
    const profile = PROTOCOLS[p.target.protocol];
    process.stdout.write(`wrote ${written.length} files to ${outDir} for ${p.name} under ${profile.name}:\n`);
    for (const x of manifest.parties) {
      const input = x.provides.length === 0 ? 'no input' : x.inputBundled ? `its input Input-P${x.party}-0` : 'its input NOT bundled (README.txt, step 5)';
      process.stdout.write(`  party-${x.party}/  party ${x.party} (${x.name}) at ${x.host}:${x.port}, ${input}\n`);
    }
    process.stdout.write('\nsend each party-<i>/ directory to its party only; each README.txt lists that party\'s steps\n');
  },
};

/**
 * The model owner's calibration of the bundle's precision, when its weights are bundled: a
 * precision that does not give float's label on the calibration videos is refused (exit 1, as
 * run --local refuses it) unless --ignore-precheck. Without the weights there is nothing to check.
 */
async function calibrateBundle(a: BuildArtifacts, files: ReadonlyMap<number, string>, args: DeployArgs, json: boolean): Promise<CalibrationRecord | { skipped: string } | undefined> {
  const videos = calibrationRequest(args.calibration);
  if (videos === undefined) return undefined;
  const p = a.pipeline;
  const weights = files.get(p.model.owner.id);
  if (!weights) {
    if (videos.length > 0) throw new UserError(`--calibration needs the model owner's weights: give ${p.model.owner.name}'s input file with --model-input`);
    return { skipped: `the model owner's input is not bundled (--model-input), so the precision is not calibrated` };
  }
  const r = await calibrate(a, readValues64(weights), { videos, weightsSource: basename(weights), onProgress: json ? undefined : (m) => process.stderr.write(`${m}\n`) });
  if ('verdict' in r && r.verdict === 'refused') {
    if (!args['ignore-precheck']) {
      throw new UserError({
        severity: 'error',
        message: `refused to write the bundle: ${formatCalibration(r).join('\n')}`,
        hints: ['--ignore-precheck writes it anyway (the revealed label is then not to be trusted)'],
      });
    }
    process.stderr.write(`warning: --ignore-precheck: writing the bundle although the calibration refuses its precision\n`);
  }
  return r;
}
