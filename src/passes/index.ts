// The explicit pass list, in order. Each pass is a module of its own.
//   1. check (src/check)        : AST -> Pipeline IR, shapes inferred and checked
//   2. optimizations            : which optimisations apply (per protocol, --style, --opt):
//                                 target/optimizations.ts, chosen by the check
//   3. fold-batchnorm           : batch normalisations folded into the linear layer before them
//                                 (ir-passes.ts: the passes on the IR, a new pipeline)
//   4. lower-layers             : IR layers -> MP-SPDZ layer objects, wired as a graph
//   5. relu-after-maxpool       : a ReLU read only by a max pooling moves after it
//   6. skip-unread              : rows and columns no layer reads are not computed
//   7. relu-into-avgpool        : a ReLU read only by an average pooling is fused into it
//   8. trunc-after-pool         : a convolution read only by such a pooling is not truncated;
//                                 the pooling truncates its window sums
//   9. narrow-comparisons       : comparisons on the bits a declared `bound` needs
//  10. plan-inputs              : every party's input file, in reading order (inputs.json)
//  11. emit (src/emit)          : the .mpc program (batching, vector layers, Winograd),
//                                 ml.py.patch, inputs.json, commands
export { foldBatchnorm } from './fold-batchnorm.js';
export { irPasses } from './ir-passes.js';
export { lowerLayers, type MpcLayer } from './lower-layers.js';
export { reluAfterMaxpool } from './relu-after-maxpool.js';
export { skipUnread } from './skip-unread.js';
export { reluIntoAvgpool } from './relu-into-avgpool.js';
export { truncAfterPool } from './trunc-after-pool.js';
export { narrowComparisons } from './narrow-comparisons.js';
export { programLayers, usedBounds } from './program-layers.js';
export { inputParty, planInputs, type InputPlan, type InputTensor, type PartyInputs } from './plan-inputs.js';
