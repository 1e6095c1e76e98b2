// The explicit pass list, in order. Each pass is a module of its own.
//   1. check (src/check)        : AST -> Pipeline IR, shapes inferred and checked
//   2. lower-layers             : IR layers -> MP-SPDZ layer objects
//   3. plan-inputs              : every party's input file, in reading order (inputs.json)
//   4. emit (src/emit)          : the .mpc program, ml.py.patch, inputs.json, commands
export { lowerLayers, type MpcLayer } from './lower-layers.js';
export { inputParty, planInputs, type InputPlan, type InputTensor, type PartyInputs } from './plan-inputs.js';
