// ffmpeg: finding the binary, reading a video's stream information (`ffmpeg -i`, since the
// installer package ships no ffprobe) and decoding to raw RGB frames over a pipe.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { EnvironmentError, UserError } from '../diagnostics.js';
import { statInput } from '../util/files.js';

let cachedFfmpeg: string | undefined;

/** The ffmpeg binary: `ffmpeg` on PATH if there is one, else @ffmpeg-installer/ffmpeg's. */
export function ffmpegPath(): string {
  if (cachedFfmpeg) return cachedFfmpeg;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg');
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return (cachedFfmpeg = candidate);
    } catch {
      // not here
    }
  }
  try {
    const require = createRequire(import.meta.url);
    const installer = require('@ffmpeg-installer/ffmpeg') as { path: string };
    accessSync(installer.path, fsConstants.X_OK);
    return (cachedFfmpeg = installer.path);
  } catch (e) {
    throw new EnvironmentError('ffmpeg not found: it is not on PATH and @ffmpeg-installer/ffmpeg has no binary for this platform', [
      `install ffmpeg (e.g. apt-get install ffmpeg) or reinstall the package's dependencies (${(e as Error).message})`,
    ]);
  }
}

export interface VideoInfo {
  /** Frame size after ffmpeg's automatic rotation (what the decoder outputs). */
  width: number;
  height: number;
  /** The stream's frame rate as ffmpeg reports it (e.g. 29.97), or undefined. */
  fps?: number;
  /** Container duration in seconds, or undefined. */
  duration?: number;
  /** Rotation from the stream's metadata, in degrees. */
  rotation: number;
  codec: string;
  /** The input format (demuxer) names ffmpeg reports, e.g. ['mov', 'mp4', ...]. */
  format: string[];
}

/** Parses `ffmpeg -i` output (stderr); null if it names no video stream. */
export function parseFfmpegInfo(stderr: string): VideoInfo | null {
  const stream = /Stream #\d+:\d+[^\n]*?: Video: ([^\n]*)/.exec(stderr);
  if (!stream) return null;
  const desc = stream[1]!;
  const size = /(?:^|[\s,])(\d{1,6})x(\d{1,6})(?=[\s,[]|$)/.exec(desc);
  if (!size) return null;
  let width = Number(size[1]);
  let height = Number(size[2]);
  const fpsMatch = /([\d.]+)(k?) fps/.exec(desc) ?? /([\d.]+)(k?) tbr/.exec(desc);
  const fps = fpsMatch ? Number(fpsMatch[1]) * (fpsMatch[2] ? 1000 : 1) : undefined;
  const dur = /Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/.exec(stderr);
  const duration = dur ? Number(dur[1]) * 3600 + Number(dur[2]) * 60 + Number(dur[3]) : undefined;
  // The stream's text after its "Video:" line (metadata and side data) up to the next stream.
  const rest = stderr.slice(stream.index).split(/\n\s*Stream #/)[0] ?? '';
  const rot = /rotate\s*:\s*(-?\d+(?:\.\d+)?)/.exec(rest) ?? /rotation of (-?\d+(?:\.\d+)?) degrees/.exec(rest);
  const rotation = rot ? Number(rot[1]) : 0;
  if (Math.abs(Math.round(rotation / 90)) % 2 === 1) [width, height] = [height, width];
  const codec = desc.split(/[\s,(]/)[0] ?? '';
  const input = /Input #\d+, (.*?), from '/.exec(stderr);
  const format = input ? input[1]!.split(',').map((x) => x.trim()) : [];
  return { width, height, fps: fps && Number.isFinite(fps) ? fps : undefined, duration, rotation, codec, format };
}

/** Checks that `path` is a readable file and reads its video stream information. */
export async function probeVideo(path: string): Promise<VideoInfo> {
  const st = statInput(path);
  if (!st.isFile()) throw new UserError(`${path}: not a video file (it is ${st.isDirectory() ? 'a directory' : 'not a regular file'})`);
  if (st.size === 0) throw new UserError(`${path}: not a video file (it is empty)`);
  const r = await execa(ffmpegPath(), ['-hide_banner', '-nostdin', '-i', path], { reject: false, stdin: 'ignore', timeout: 60_000 });
  const stderr = String(r.stderr ?? '');
  const info = parseFfmpegInfo(stderr);
  if (!info) {
    const why = lastFfmpegError(stderr, path);
    throw new UserError({
      severity: 'error',
      message: `${path}: not a video file (${why ?? 'ffmpeg finds no video stream in it'})`,
      hints: ['give a video file ffmpeg can decode, e.g. an .mp4 or .webm'],
    });
  }
  // ffmpeg renders text files named .nfo, .asc, .ans, ... as a video of the text (its tty demuxer).
  if (info.format.includes('tty') || info.codec === 'ansi') throw new UserError(`${path}: not a video file (ffmpeg reads it as text)`);
  if (info.format.some((f) => f === 'image2' || f.endsWith('_pipe'))) throw new UserError(`${path}: not a video file (it is a still image, ${info.format.join(',')})`);
  if (info.width <= 0 || info.height <= 0) throw new UserError(`${path}: video stream has no frame size`);
  return info;
}

function lastFfmpegError(stderr: string, path: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/output file must be specified/i.test(l));
  const line = lines.reverse().find((l) => l.includes(path) || /invalid|error|unknown|not found|no such/i.test(l));
  if (!line) return undefined;
  return line.startsWith(`${path}:`) ? `ffmpeg: ${line.slice(path.length + 1).trim()}` : `ffmpeg: ${line}`;
}

export interface DecodeOptions {
  /** Resample to this frame rate (ffmpeg's fps filter); default: every decoded frame. */
  fps?: number;
  /** Only these frames (indices after the fps filter, ascending), with ffmpeg's select filter. */
  select?: readonly number[];
  /** Stop after this many frames. */
  maxFrames?: number;
}

/** ffmpeg's arguments up to the output: the first video stream, filtered, one frame per frame. */
function decodeArgs(path: string, opts: DecodeOptions): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', path, '-map', '0:v:0', '-an', '-sn', '-dn'];
  const filters: string[] = [];
  if (opts.fps !== undefined) filters.push(`fps=${opts.fps}`);
  // quoted: the filter graph would otherwise split the expression at its commas
  if (opts.select) filters.push(`select='${opts.select.map((i) => `eq(n,${i})`).join('+')}'`);
  if (filters.length > 0) args.push('-vf', filters.join(','));
  // Passthrough timestamps: every decoded (or filtered) frame exactly once, no duplication.
  args.push('-vsync', '0');
  return args;
}

/**
 * How many frames decoding gives (after the fps filter): a full decode into ffmpeg's null
 * output, so a truncated or damaged file counts what it really yields, not what its container
 * claims. The frame indices of decodeFrames' `select` count the same frames.
 */
export async function countFrames(path: string, opts: Pick<DecodeOptions, 'fps'> = {}): Promise<number> {
  const args = [...decodeArgs(path, opts), '-f', 'null', '-progress', 'pipe:1', '-nostats', '-'];
  const r = await execa(ffmpegPath(), args, { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw decodeFailure(path, r.exitCode, String(r.stderr ?? ''));
  const counts = [...String(r.stdout ?? '').matchAll(/^frame=(\d+)$/gm)];
  if (counts.length === 0) throw new EnvironmentError(`${path}: ffmpeg reported no frame count while decoding the video (its -progress output has no frame= line)`);
  return Number(counts[counts.length - 1]![1]);
}

function decodeFailure(path: string, exitCode: number | undefined, stderr: string): UserError {
  return new UserError(`${path}: ffmpeg could not decode the video (exit ${exitCode}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no message'}`);
}

/**
 * Decodes a video to RGB frames (uint8 [H, W, 3]) with `ffmpeg -f rawvideo -pix_fmt rgb24` over
 * a pipe. Frames are yielded in order; stopping the iteration stops ffmpeg.
 */
export async function* decodeFrames(path: string, info: VideoInfo, opts: DecodeOptions = {}): AsyncGenerator<Uint8Array> {
  const frameBytes = info.width * info.height * 3;
  const args = decodeArgs(path, opts);
  if (opts.maxFrames !== undefined) args.push('-frames:v', String(opts.maxFrames));
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const proc = execa(ffmpegPath(), args, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true }, reject: false, encoding: 'buffer' });
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  let finished = false;
  try {
    for await (const chunk of proc.stdout! as AsyncIterable<Buffer>) {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        frame.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          const done = frame;
          frame = new Uint8Array(frameBytes);
          filled = 0;
          yield done;
        }
      }
    }
    finished = true;
  } finally {
    if (!finished) proc.kill();
    const r = await proc;
    if (finished) {
      const stderr = typeof r.stderr === 'string' ? r.stderr : new TextDecoder().decode(r.stderr as Uint8Array);
      if (r.exitCode !== 0 && !r.isTerminated) {
        // eslint-disable-next-line no-unsafe-finally
        throw decodeFailure(path, r.exitCode, stderr);
      }
      if (filled !== 0) {
        // eslint-disable-next-line no-unsafe-finally
        throw new EnvironmentError(`${path}: ffmpeg's output ended inside a frame (${filled} of ${frameBytes} bytes); the frame size ${info.width}x${info.height} read from the stream information is probably wrong`);
      }
    }
  }
}
