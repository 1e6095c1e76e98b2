// The exact MP-SPDZ commands for a pipeline: compile once, then one party binary per party.
import { frameSize, modelParams, product, selectedFrames, type Pipeline } from '../ir/pipeline.js';
import { PROTOCOLS, partyFlags } from '../target/protocols.js';

/** MP-SPDZ's own default budget (Compiler/program.py). */
const MP_SPDZ_DEFAULT_BUDGET = 1000;

/**
 * compile.py's budget (-b) for a program: the target's, or one chosen for it, because the
 * budget is also the longest vector compile.py handles whole:
 *  - since MP-SPDZ commit 029d799b ("Use budget with CISC instructions", after 0.4.2) it cuts
 *    a vectorised comparison into chunks that run one after another, each with its own round
 *    trips (at the default 1,000 the paper's program takes 10,848 rounds instead of 224);
 *  - the allocator orders memory accesses only over a vector's first `budget` addresses
 *    ("Order of memory instructions not preserved due to long vector, errors possible").
 * Where the layers run one vector operation per tensor (vector-layers), the budget therefore
 * exceeds every tensor of the program: the video, the selection, each parameter tensor, and
 * twice the largest layer input or output over the batch (two such tensors compared in the
 * same round are merged into one vector), rounded up to one significant digit. The budget
 * also lets compile.py unroll longer loops; the stock layers of the seed style loop by
 * design, so it keeps MP-SPDZ's default.
 */
export function compileBudget(p: Pipeline): number | undefined {
  if (p.target.budget !== undefined) return p.target.budget;
  if (!p.target.optimizations['vector-layers']) return undefined;
  const frames = p.target.optimizations['batch-frames'] ? selectedFrames(p) : 1;
  const activations = Math.max(...p.model.layers.flatMap((l) => [product(l.inShape), product(l.outShape)]), p.classes) * frames;
  const inputs = [p.video.frames * frameSize(p.video), p.video.frames * selectedFrames(p), ...modelParams(p.model).map((t) => product(t.shape))];
  const wanted = Math.max(2 * activations, ...inputs, MP_SPDZ_DEFAULT_BUDGET);
  const unit = 10 ** Math.floor(Math.log10(wanted));
  return Math.ceil(wanted / unit) * unit;
}

/** `./compile.py -E <protocol> [-R|-F bits] [-Y] [-b budget] <name>`, run inside the MP-SPDZ tree. */
export function compileCommand(p: Pipeline): string[] {
  const profile = PROTOCOLS[p.target.protocol];
  const cmd = ['./compile.py', '-E', profile.short, ...profile.compileFlags];
  // -E's default is 64 bits either way: a ring of 2^64, or 64-bit values of a prime field
  if (p.target.ringBits !== 64) cmd.push(profile.domain === 'field' ? '-F' : '-R', String(p.target.ringBits));
  const budget = compileBudget(p);
  if (budget !== undefined) cmd.push('-b', String(budget));
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
    argv.push(...partyFlags(profile, p.target.ringBits));
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
  const cmd = [`Scripts/${profile.short}.sh`, p.name, ...partyFlags(profile, p.target.ringBits)];
  if (printsBeyondParty0(p)) cmd.push('-OF', '.');
  return cmd;
}

/** A warning compile.py prints for a program, and what it means there. */
export interface ExpectedWarning {
  /** The start of compile.py's line, after "WARNING: ". */
  text: string;
  /** Why it is harmless, or (probabilistic truncation) where the header says what it means. */
  why: string;
}

/**
 * The warnings compile.py prints for this program, each with what it means there (harmless, or
 * the header's truncation caveat); the program's header lists them, and `run` and the tests
 * treat any other warning as news.
 */
export function expectedCompileWarnings(p: Pipeline): ExpectedWarning[] {
  const out: ExpectedWarning[] = [];
  const profile = PROTOCOLS[p.target.protocol];
  if (p.target.truncation === 'probabilistic' && !profile.probabilisticTruncation) {
    out.push({
      text: 'Probabilistic truncation leaks some information',
      why: "MP-SPDZ's TruncPrRing after every product: what it can reveal is the caveat above (`trunc nearest` rounds deterministically instead)",
    });
  }
  if (compileBudget(p) === undefined) {
    out.push({
      text: 'Order of memory instructions not preserved due to long vector',
      why: 'harmless here: the inputs are stored as vectors longer than the budget, each into its own array, and nothing reads them before stop_timer(1) ends the basic block (compile.py reorders memory instructions only within a basic block)',
    });
  }
  return out;
}
