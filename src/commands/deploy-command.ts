// `ppvc-dsl deploy <file> --hosts HOSTS -o DIR`: one directory per party with exactly what
// that party needs to run the pipeline on its own machine (see src/backend/deploy.ts).
// Registered in cli.ts (COMMANDS); errors are thrown as UserError (exit 1)
// or EnvironmentError (exit 2) for cli.ts's handler, like the other commands.
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';
import { buildPipeline } from '../compile.js';
import { checkedPipeline, pipelineFiles, readText, styleFrom } from './common.js';
import { refuseInputAsOutput } from '../util/files.js';
import { PROTOCOLS, type ProtocolName } from '../target/protocols.js';
import { protocolOption, styleOptions } from './options.js';
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
  json?: boolean;
}

export const deployCommand: CommandModule<object, DeployArgs> = {
  command: 'deploy <file>',
  describe: "write, for each party, the files and commands it needs to run the pipeline on its own machine (its own input only)",
  builder: (y: Argv<object>) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'the .ppvc pipeline' })
      .option('hosts', { type: 'string', demandOption: true, describe: "file with one host per party in party order: IP or name, optional :port; '#' comments" })
      .option('out', { alias: 'o', type: 'string', describe: 'output directory (default: out/<pipeline name>-deploy); must be new or empty' })
      .option('replace', { type: 'boolean', default: false, describe: 'write into a non-empty output directory, replacing an earlier deployment there' })
      .option('protocol', protocolOption)
      .option('port', { type: 'number', default: DEFAULT_PORT_BASE, describe: 'port base (-pn): party i listens on PORT+i unless its hosts line names a port' })
      .option('video-input', { type: 'string', describe: "the video owner's input file (goes into that party's directory only)" })
      .option('model-input', { type: 'string', describe: "the model owner's input file (selection matrix, then weights; that party's directory only)" })
      .option('input', { type: 'array', string: true, describe: "PARTY=FILE for any party (repeatable); each goes into that party's directory only" })
      .options(styleOptions) as unknown as Argv<DeployArgs>,
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
    const bundle = deployBundle(artifacts, hosts, { portBase: a.port, inputs, hostsSource: a.hosts });
    const outDir = resolve(a.out ?? join('out', `${p.name}-deploy`));
    refuseInputAsOutput(Object.keys(bundle).map((f) => join(outDir, f)), a.out ?? outDir, [...pipelineFiles(p), a.hosts, ...files.values()]);
    const written = writeBundle(outDir, bundle, { replace: a.replace });
    const manifest = JSON.parse(bundle['deploy.json']!) as DeployManifest;
    if (json) {
      process.stdout.write(JSON.stringify({ ok: true, outDir, written, ...manifest }, null, 2) + '\n');
      return;
    }
    const profile = PROTOCOLS[p.target.protocol];
    process.stdout.write(`wrote ${written.length} files to ${outDir} for ${p.name} under ${profile.name}:\n`);
    for (const x of manifest.parties) {
      const input = x.provides.length === 0 ? 'no input' : x.inputBundled ? `its input Input-P${x.party}-0` : 'its input NOT bundled (README.txt, step 5)';
      process.stdout.write(`  party-${x.party}/  party ${x.party} (${x.name}) at ${x.host}:${x.port}, ${input}\n`);
    }
    process.stdout.write('\nsend each party-<i>/ directory to its party only; each README.txt lists that party\'s steps\n');
  },
};
