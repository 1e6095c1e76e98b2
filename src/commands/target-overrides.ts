// The settings a command line or an API call puts over a pipeline's own (`--protocol`,
// `--budget`, `--style`, `--opt`; the API's precision and ring too), as the compiler's
// BuildOptions. One place, so that the CLI and src/api.ts refuse the same values with the same
// messages; the overrides themselves are applied by checkSource (src/compile.ts).
import { UserError } from '../diagnostics.js';
import type { BuildOptions } from '../compile.js';
import type { ProtocolName } from '../target/protocols.js';
import { parseOptimizationSwitches, type OptimizationSet } from '../target/optimizations.js';

/** The settings that replace a pipeline's target statement's, without editing its text. */
export interface TargetOverrides {
  /** MPC protocol instead of the target's (`--protocol`). */
  protocol?: ProtocolName;
  /** sfix precision instead of `precision F K`: f fractional bits of k. */
  precision?: { f: number; k: number };
  /** Ring bits instead of `ring BITS`. */
  ring?: number;
  /** compile.py's optimisation budget -b instead of `budget N` (`--budget`). */
  budget?: number;
  /** `seed` for the paper's frame-by-frame program, every optimisation off (`--style`). */
  style?: 'optimized' | 'seed';
  /** Optimisations on or off over the style's: `'no-winograd,batch-frames'` as `--opt` takes it, or an object. */
  opt?: string | Partial<OptimizationSet>;
  /** Build even when the memory estimate exceeds this machine (`--force`). */
  force?: boolean;
}

/** --budget: compile.py takes a positive whole number. */
export function checkedBudget(b: number | undefined): number | undefined {
  if (b !== undefined && !(Number.isInteger(b) && b >= 1)) throw new UserError(`--budget ${b}: expected a whole number, at least 1`);
  return b;
}

/** The ring the target statement accepts (`ring BITS`, 8 to 256), for an override. */
function checkedRing(ring: number | undefined): number | undefined {
  if (ring !== undefined && !(Number.isInteger(ring) && ring >= 8 && ring <= 256)) throw new UserError(`ring ${ring}: expected a whole number of bits from 8 to 256`);
  return ring;
}

/** Whole numbers, as `precision F K` takes them; whether they fit (0 < f < k, the ring) is check's. */
function checkedPrecision(p: { f: number; k: number } | undefined): { f: number; k: number } | undefined {
  if (p !== undefined && !(Number.isInteger(p.f) && Number.isInteger(p.k) && p.f >= 0 && p.k >= 0)) {
    throw new UserError(`precision ${p.f} ${p.k}: expected two whole numbers F K, e.g. precision 16 31`);
  }
  return p && { f: p.f, k: p.k };
}

/** --style and --opt as build options (an unknown optimisation is a user's error). */
export function styleFrom(a: { style?: unknown; opt?: unknown }): Pick<BuildOptions, 'style' | 'optimizations'> {
  const style = a.style as 'optimized' | 'seed' | undefined;
  if (a.opt === undefined) return { style };
  const parsed = parseOptimizationSwitches(String(a.opt));
  if (parsed.error) throw new UserError(parsed.error);
  return { style, optimizations: parsed.switches };
}

/** `{ winograd: false }` as `--opt` writes it (`no-winograd`), so that an object meets the same checks as the option. */
function optSpec(opt: string | Partial<OptimizationSet> | undefined): string | undefined {
  if (opt === undefined || typeof opt === 'string') return opt;
  return Object.entries(opt).map(([name, on]) => (on ? name : `no-${name}`)).join(',');
}

/** The overrides as build options; a value no pipeline could take is a UserError (exit status 1). */
export function buildOptionsFrom(o: TargetOverrides): BuildOptions {
  const style = styleFrom({ style: o.style, opt: optSpec(o.opt) });
  return {
    protocol: o.protocol,
    budget: checkedBudget(o.budget),
    ring: checkedRing(o.ring),
    precision: checkedPrecision(o.precision),
    ...style,
    ...(o.force !== undefined ? { force: o.force } : {}),
  };
}
