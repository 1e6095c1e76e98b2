// What `run --local`'s check in the clear found (commands/precheck.ts), as the result record
// keeps it: here, below the backend that records it.

/** What the check found, for the result record (`precheck` in `run --json` and `--results`). */
export interface Precheck {
  /** The fixed-point emulation's label (what the secure run should reveal), and float's. */
  label: number;
  floatLabel: number;
  /** The fewest significant bits any layer keeps (signal.ts). */
  worstBits?: number;
  /** Float's top class minus its second, on the aggregate; and the emulation's largest error there. */
  margin: number;
  error: number;
  /** Absent when all is well; `near-tie` is a warning only. */
  finding?: { kind: 'overflow' | 'signal-lost' | 'label' | 'near-tie'; layer?: string; message: string; precision?: string };
  /** The run went on despite a refusing finding (`--ignore-precheck`). */
  ignored?: boolean;
  seconds: number;
}
