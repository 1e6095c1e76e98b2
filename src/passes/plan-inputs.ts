// Plans every party's input file: which tensors, in which order, with which layout. The
// program reads them in exactly this order, each exactly once; inputs.json documents it.
import type { Pipeline } from '../ir/pipeline.js';
import { modelParams, product } from '../ir/pipeline.js';
import { PROTOCOLS } from '../target/protocols.js';
import { UserError } from '../diagnostics.js';

export interface InputTensor {
  /** `video`, `selection`, or `<layer>.kernel` / `<layer>.bias`. */
  name: string;
  role: 'video' | 'selection' | 'parameter';
  /** MP-SPDZ type the program reads the values as. */
  type: 'sfix' | 'sint';
  shape: number[];
  elements: number;
  /** Offset of the first element within the party's file. */
  offset: number;
  layout: string;
  /** The range values must lie in (checked before a run). */
  range?: [number, number];
}

export interface PartyInputs {
  party: number;
  name: string;
  file: string;
  elements: number;
  tensors: InputTensor[];
}

export interface InputPlan {
  pipeline: string;
  format: string;
  parties: PartyInputs[];
}

/** The party whose file holds a party's inputs: emulate.x reads every input from party 0. */
export function inputParty(p: Pipeline, id: number): number {
  return PROTOCOLS[p.target.protocol].processes === 1 ? 0 : id;
}

export function planInputs(p: Pipeline): InputPlan {
  const parties = new Map<number, PartyInputs>();
  const profile = PROTOCOLS[p.target.protocol];
  for (let id = 0; id < profile.processes; id++) {
    const named = p.parties.find((x) => x.id === id);
    parties.set(id, { party: id, name: named?.name ?? `party${id}`, file: `Player-Data/Input-P${id}-0`, elements: 0, tensors: [] });
  }
  const add = (party: number, t: Omit<InputTensor, 'offset' | 'elements'>) => {
    const entry = parties.get(inputParty(p, party))!;
    const elements = product(t.shape);
    entry.tensors.push({ ...t, elements, offset: entry.elements });
    entry.elements += elements;
  };
  const v = p.video;
  add(v.owner.id, {
    name: 'video',
    role: 'video',
    type: 'sfix',
    shape: [v.frames, v.height, v.width, v.channels],
    layout: 'row-major [N, h, w, c]: frame by frame, each frame row by row (as the seed\'s sample_video.txt)',
    range: v.range,
  });
  if (p.selection.kind === 'oblivious') {
    add(p.selection.chooser.id, {
      name: 'selection',
      role: 'selection',
      type: 'sint',
      shape: [p.selection.count, v.frames],
      layout: 'row-major [n, N] 0/1 matrix: row i has a single 1 in the column of the i-th selected frame',
      range: [0, 1],
    });
  }
  for (const t of modelParams(p.model)) {
    add(p.model.owner.id, { name: `${t.layer}.${t.name}`, role: 'parameter', type: 'sfix', shape: t.shape, layout: t.layout });
  }
  return {
    pipeline: p.name,
    format: 'MP-SPDZ text input: numbers separated by white space (one per line by convention), read in the order listed',
    parties: [...parties.values()],
  };
}

/** Splits each party's values into the named tensors of the plan. */
export function tensorsOf<A extends Float32Array | Float64Array>(plan: InputPlan, values: Map<number, A>): Map<string, A> {
  const out = new Map<string, A>();
  for (const party of plan.parties) {
    if (party.tensors.length === 0) continue;
    const v = values.get(party.party);
    if (!v) throw new UserError(`no input for party ${party.party} (${party.name}): ${party.tensors.map((t) => t.name).join(', ')}`);
    if (v.length !== party.elements) {
      throw new UserError(`party ${party.party} (${party.name}) input has ${v.length} values; inputs.json expects ${party.elements}`);
    }
    for (const t of party.tensors) out.set(t.name, v.subarray(t.offset, t.offset + t.elements) as A);
  }
  return out;
}

