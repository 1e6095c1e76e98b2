// The timer numbers of the generated program, shared by the emitter and by what reads a run's
// output (backend/run-pipeline.ts, report/model.ts).

/** Timer numbers in the generated program (MP-SPDZ prints `TimeN = ... seconds (X MB, Y rounds)`). */
export const STAGE_TIMERS = {
  inputs: 1,
  selection: 2,
  cnn: 3,
  frameOutput: 4,
  aggregation: 5,
} as const;
/** Optimizer(time_layers=True) numbers the layers from this timer on. */
export const LAYER_TIMER_BASE = 100;
