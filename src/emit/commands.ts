// The exact MP-SPDZ commands for a pipeline: compile once, then one party binary per party.
import type { Pipeline } from '../ir/pipeline.js';
import { PROTOCOLS } from '../backend/protocols.js';

/** `./compile.py -E <protocol> [-R bits] [-b budget] <name>`, run inside the MP-SPDZ tree. */
export function compileCommand(p: Pipeline): string[] {
  const profile = PROTOCOLS[p.target.protocol];
  const cmd = ['./compile.py', '-E', profile.short];
  if (p.target.ringBits !== 64) cmd.push('-R', String(p.target.ringBits));
  if (p.target.budget !== undefined) cmd.push('-b', String(p.target.budget));
  cmd.push(p.name);
  return cmd;
}

export interface PartyCommand {
  party: number;
  argv: string[];
}

/** Whether any output goes to a party other than 0 (MP-SPDZ prints only at party 0 by default). */
function printsBeyondParty0(p: Pipeline): boolean {
  return p.reveals.some((r) => r.to.some((t) => t.id !== 0));
}

/** The command each party runs, from the MP-SPDZ directory; `host0` is party 0's address. */
export function partyCommands(p: Pipeline, opts: { host0?: string; port?: number } = {}): PartyCommand[] {
  const profile = PROTOCOLS[p.target.protocol];
  const out: PartyCommand[] = [];
  if (profile.processes === 1) return [{ party: 0, argv: [`./${profile.binary}`, p.name] }];
  for (let id = 0; id < profile.parties; id++) {
    const argv = [`./${profile.binary}`, '-p', String(id)];
    // the dishonest-majority binaries take any number of parties and need to be told
    if (profile.corruption === 'dishonest majority') argv.push('-N', String(profile.parties));
    argv.push('-h', opts.host0 ?? 'localhost', '-pn', String(opts.port ?? 14000));
    argv.push(...profile.runtimeFlags);
    if (printsBeyondParty0(p)) argv.push('-OF', '.');
    argv.push(p.name);
    out.push({ party: id, argv });
  }
  return out;
}

/** All parties on this machine through MP-SPDZ's own script (`Scripts/<short>.sh`). */
export function localRunCommand(p: Pipeline): string[] {
  const profile = PROTOCOLS[p.target.protocol];
  if (profile.processes === 1) return [`./${profile.binary}`, p.name];
  const cmd = [`Scripts/${profile.short}.sh`, p.name, ...profile.runtimeFlags];
  if (printsBeyondParty0(p)) cmd.push('-OF', '.');
  return cmd;
}
