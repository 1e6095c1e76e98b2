// Checks party input files against inputs.json before anything runs: exact element counts
// and values the fixed-point format can hold (and the declared ranges), naming the file,
// the element and the tensor.
import { UserError, errorAt } from '../diagnostics.js';
import type { InputPlan, PartyInputs } from '../passes/plan-inputs.js';
import type { Pipeline, Target } from '../ir/pipeline.js';

/** A file given for a party that provides no input would be ignored (under emulate, misread): refused, named by `shown`. */
export function refuseFileWithoutInput(p: Pipeline, plan: InputPlan, id: number, shown: string): void {
  if (plan.parties.some((x) => x.party === id && x.tensors.length > 0)) return;
  const name = p.parties.find((x) => x.id === id)?.name ?? `party${id}`;
  throw new UserError(`${shown}: party ${id} (${name}) provides no input to ${p.name}; leave its file out`);
}

export function validatePartyInput(path: string, party: PartyInputs, values: Float32Array, target: Pick<Target, 'f' | 'k'>): void {
  if (values.length !== party.elements) {
    throw new UserError(
      errorAt(undefined, `${path}: ${values.length} values, but party ${party.party} (${party.name}) must provide ${party.elements}`, {
        expected: `${party.elements} values: ${party.tensors.map((t) => `${t.name} ${JSON.stringify(t.shape)}`).join(', ')}`,
        found: `${values.length} values`,
      }),
    );
  }
  const limit = 2 ** (target.k - target.f - 1);
  for (const t of party.tensors) {
    for (let i = 0; i < t.elements; i++) {
      const v = values[t.offset + i]!;
      const bad =
        t.type === 'sint' ? v !== 0 && v !== 1 : !(Math.abs(v) < limit) || (t.range !== undefined && (v < t.range[0] - 1e-6 || v > t.range[1] + 1e-6));
      if (bad) {
        const allowed = t.type === 'sint' ? '0 or 1' : t.range ? `a number in [${t.range[0]}, ${t.range[1]}]` : `a number of magnitude below ${limit} (sfix with f=${target.f}, k=${target.k})`;
        throw new UserError(
          errorAt(undefined, `${path}: element ${t.offset + i} (${t.name}[${i}]) is ${v}, out of range`, { expected: allowed, found: String(v) }),
        );
      }
    }
    if (t.role === 'selection') checkSelection(path, t.shape[0]!, t.shape[1]!, values.subarray(t.offset, t.offset + t.elements));
  }
}

/** Each row of a selection matrix must pick exactly one frame. */
function checkSelection(path: string, rows: number, frames: number, m: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    let ones = 0;
    for (let c = 0; c < frames; c++) ones += m[r * frames + c]!;
    if (ones !== 1) {
      throw new UserError(`${path}: row ${r} of the selection matrix has ${ones} ones; each row must select exactly one frame`);
    }
  }
}
