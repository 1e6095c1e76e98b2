// `ppvc-dsl setup-mp-spdz --source DIR [--protocols LIST] [--ring 64|32] [--jobs N]`: builds
// MP-SPDZ from a source tree in the cache, where build, run, deploy and the bench then find it
// without MP_SPDZ_HOME (which still overrides). Registered in cli.ts (COMMANDS).
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';
import { DEFAULT_PROTOCOLS, SUPPORTED_RINGS, formatDuration, parseProtocolList, setupMpSpdz } from '../backend/mp-spdz-setup.js';

export interface SetupArgs {
  source: string;
  protocols: string;
  ring: number;
  jobs?: number;
  json?: boolean;
}

export const setupMpSpdzCommand: CommandModule<object, SetupArgs> = {
  command: 'setup-mp-spdz',
  describe: 'build MP-SPDZ from a source tree into the cache (outside any repository), where the other commands find it',
  builder: (y: Argv) =>
    y
      .option('source', { type: 'string', demandOption: true, describe: "an MP-SPDZ source tree (a clone, submodules filled in); it is only read" })
      .option('protocols', { type: 'string', default: 'default', describe: `party programs to build: 'all', 'default' (${DEFAULT_PROTOCOLS.join(', ')}) or a comma-separated list` })
      .option('ring', { type: 'number', default: 64, describe: 'ring size of the arithmetic party programs: 64 (stock), or 32 for pipelines with `ring 32`' })
      .option('jobs', { alias: 'j', type: 'number', describe: 'parallel compile jobs (default: the number of cores)' }) as Argv<SetupArgs>,
  handler: async (a) => {
    if (!(SUPPORTED_RINGS as readonly number[]).includes(a.ring)) throw new UserError(`--ring ${a.ring}: expected one of ${SUPPORTED_RINGS.join(', ')}`);
    if (a.jobs !== undefined && !(Number.isInteger(a.jobs) && a.jobs >= 1)) throw new UserError(`--jobs ${a.jobs}: expected a whole number, at least 1`);
    const protocols = parseProtocolList(a.protocols);
    const r = await setupMpSpdz({
      source: a.source,
      protocols,
      ring: a.ring,
      jobs: a.jobs,
      onProgress: (line) => process.stderr.write(`${line}\n`),
    });
    if (a.json) {
      process.stdout.write(JSON.stringify({ ok: true, root: r.root, built: r.built, seconds: r.seconds, ...r.record }, null, 2) + '\n');
      return;
    }
    const what = `MP-SPDZ ${r.record.version}${r.record.commit ? ` (${r.record.commit})` : ''}, ring ${r.record.ring}: ${r.record.protocols.join(', ')}`;
    process.stdout.write(r.built ? `built ${what} in ${formatDuration(r.seconds)}\n` : `already built: ${what}\n`);
    process.stdout.write(`  ${r.root}\n  build, run, deploy and the bench use it when MP_SPDZ_HOME is not set (and the pipeline's ring is ${r.record.ring})\n`);
  },
};
