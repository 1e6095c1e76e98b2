// The model owner's side of the check in the clear (issue 19). Where the parties' inputs sit on
// separate hosts nobody holds them all, so `run --local`'s check before the parties start
// (precheck.ts) cannot run. The model owner holds the weights, though: `export-weights`,
// `random-weights` and `deploy` simulate them on calibration videos it has (`--calibration
// VIDEO...`, input files or real videos; by default random videos in the pipeline's declared
// range) and say whether the precision keeps every layer in range, keeps the signal and gives
// float's label. The record is the bundle's note of how its precision was calibrated.
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BuildArtifacts } from '../compile.js';
import { frameSize, type Pipeline } from '../ir/pipeline.js';
import { PROTOCOLS, domainPhrase, type ProtocolName } from '../target/protocols.js';
import { inputParty } from '../passes/plan-inputs.js';
import { randomVideo } from '../inputs/random-inputs.js';
import { assembleInputs, loadVideoValues } from '../simulate/inputs.js';
import { checkInTheClear, type Precheck } from './precheck.js';
import { DEFAULT_PREPARATION } from './video-options.js';

/** Random calibration videos when none is given: enough to catch a precision that does not fit, few enough to take seconds. */
export const DEFAULT_RANDOM_VIDEOS = 2;

/** One calibration video's result: what run's check would have found on it. */
export interface CalibrationVideo {
  /** A file (its name and sha256) or `random video (seed S)`. */
  source: string;
  sha256?: string;
  check: Precheck;
}

/** How the pipeline's precision was calibrated, as `calibration` in --json and in a bundle. */
export interface CalibrationRecord {
  pipeline: string;
  protocol: ProtocolName;
  /** The precision checked: sfix(k, f) in a ring of ringBits, and the rounding. */
  precision: { k: number; f: number; ringBits: number; rounding: string };
  weights: string;
  videos: CalibrationVideo[];
  /** 'refused' if any video overflows, loses the signal or gives another label than float. */
  verdict: 'ok' | 'near-tie' | 'refused';
  /** The first refusing finding's suggested precision, if any. */
  suggestion?: string;
  seconds: number;
}

export interface CalibrationOptions {
  /** Calibration videos (input files or real videos); none: DEFAULT_RANDOM_VIDEOS random ones. */
  videos?: string[];
  /** A name for the weights in the record (the file or `random weights (seed S)`). */
  weightsSource: string;
  onProgress?: (msg: string) => void;
}

/**
 * Simulates the model owner's `values` (the file it writes or bundles) on each calibration video
 * and collects what run's check in the clear would find. Returns undefined, with the reason, where
 * another party's input is needed too (a pipeline of three input parties).
 */
export async function calibrate(a: BuildArtifacts, modelOwnerValues: Float32Array | Float64Array, o: CalibrationOptions): Promise<CalibrationRecord | { skipped: string }> {
  const p = a.pipeline;
  const other = otherInputParty(a);
  if (other !== undefined) return { skipped: `party ${other} also provides an input, which the model owner does not hold` };
  const started = performance.now();
  const weights = modelOwnerWeights(p, modelOwnerValues);
  const videos: CalibrationVideo[] = [];
  for (const video of await calibrationVideos(p, o.videos)) {
    o.onProgress?.(`calibration: simulating ${video.source}`);
    const values = assembleInputs(p, a.inputs, { video: { path: video.source, values: video.values }, weights: { path: o.weightsSource, values: weights } });
    videos.push({ source: video.source, sha256: video.sha256, check: await checkInTheClear(a, values) });
  }
  const refusing = videos.find((v) => v.check.finding && v.check.finding.kind !== 'near-tie');
  const tie = videos.some((v) => v.check.finding?.kind === 'near-tie');
  const t = p.target;
  return {
    pipeline: p.name,
    protocol: t.protocol,
    precision: { k: t.k, f: t.f, ringBits: t.ringBits, rounding: t.truncation === 'nearest' ? 'nearest' : 'probabilistic' },
    weights: o.weightsSource,
    videos,
    verdict: refusing ? 'refused' : tie ? 'near-tie' : 'ok',
    suggestion: refusing?.check.finding?.precision,
    seconds: (performance.now() - started) / 1000,
  };
}

/** A party other than the video and model owners that provides an input, if any. */
function otherInputParty(a: BuildArtifacts): number | undefined {
  const p = a.pipeline;
  const owners = new Set([inputParty(p, p.video.owner.id), inputParty(p, p.model.owner.id)]);
  return a.inputs.parties.find((x) => x.tensors.length > 0 && !owners.has(x.party))?.party;
}

/** The model owner's values without the video: a party owning both writes the video first. */
function modelOwnerWeights(p: Pipeline, values: Float32Array | Float64Array): Float64Array {
  const both = inputParty(p, p.video.owner.id) === inputParty(p, p.model.owner.id);
  return Float64Array.from(both ? values.subarray(p.video.frames * frameSize(p.video)) : values);
}

/** The calibration videos' values: the files given (prepared as `simulate` prepares them), else random ones. */
async function calibrationVideos(p: Pipeline, files: string[] | undefined): Promise<{ source: string; sha256?: string; values: Float64Array }[]> {
  if (!files || files.length === 0) {
    return Array.from({ length: DEFAULT_RANDOM_VIDEOS }, (_, i) => ({ source: `random video (seed ${i + 1})`, values: Float64Array.from(randomVideo(p, i + 1)) }));
  }
  const out = [];
  for (const file of files) {
    const { values } = await loadVideoValues(file, p, DEFAULT_PREPARATION);
    out.push({ source: basename(file), sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), values });
  }
  return out;
}

/** The record as the lines a command prints: a summary, then one line per video that found something. */
export function formatCalibration(r: CalibrationRecord | { skipped: string }): string[] {
  if ('skipped' in r) return [`calibration skipped: ${r.skipped}`];
  const { k, f, ringBits } = r.precision;
  const what = `sfix(${k}, ${f}) in ${domainPhrase(PROTOCOLS[r.protocol], ringBits)} on ${r.videos.length} calibration video${r.videos.length === 1 ? '' : 's'}`;
  if (r.verdict === 'ok') {
    const bits = Math.min(...r.videos.map((v) => v.check.worstBits ?? 52));
    const labels = r.videos.map((v) => v.check.label).join(', ');
    return [`calibration: ${what}: every layer in range, at least ${bits.toFixed(1)} significant bits, float's label on each (${labels}) (${r.seconds.toFixed(1)} s)`];
  }
  const lines = [`calibration: ${what}: ${r.verdict === 'refused' ? 'this precision does NOT give float\'s label' : 'a near tie'}`];
  for (const v of r.videos) if (v.check.finding) lines.push(`  ${v.source}: ${v.check.finding.message}`);
  if (r.suggestion) lines.push(`  suggestion: ${r.suggestion}`);
  return lines;
}

/** The option export-weights, random-weights and deploy share. */
export const calibrationOption = {
  type: 'array',
  string: true,
  describe: `check the precision on these videos (input files or real videos, prepared as simulate prepares them) with the model owner's weights, in the clear; default: ${DEFAULT_RANDOM_VIDEOS} random videos in the declared range; --no-calibration skips it`,
} as const;

/** The videos `--calibration` asks for: undefined for --no-calibration, [] for the default. */
export function calibrationRequest(given: unknown): string[] | undefined {
  // yargs reads --no-calibration of an array option as [false]
  if (given === false || (Array.isArray(given) && given.length === 1 && given[0] === false)) return undefined;
  if (given === undefined || given === true) return [];
  return (given as unknown[]).map(String);
}
