// Face detection with @vladmandic/human's BlazeFace detector, loaded from disk, in a worker thread.
//
// Why this shape:
// - Human's node builds (human.node*.js) require @tensorflow/tfjs-node or
//   @tensorflow/tfjs-converter, neither of which is installed; the self-contained build is
//   dist/human.esm.js, which bundles its own TensorFlow.js (core, converter, cpu and wasm
//   backends) but stubs out Node's `util`, `fs` and `path`. Two things break in Node:
//     1. at import, TFJS's Node platform is built with the stubbed `util` (TextEncoder is not a
//        constructor). Fix: load the real @tensorflow/tfjs-core first (it creates the global
//        engine that every TFJS copy shares, with a working Node platform), hide IS_NODE while the
//        bundle is imported, then restore it;
//     2. the wasm backend's Emscripten glue reads the .wasm file with the stubbed `fs`. Fix:
//        `wasmPlatformFetch: true` (TFJS fetches the binary through the platform's fetch) with
//        a platform fetch that reads local paths from disk, plus a global `__dirname`.
//   Models load through a `file://` IO router reading the model JSON and weights from disk.
// - All of this patches TFJS globals, so it runs in a worker thread: the calling process may
//   use its own TensorFlow.js (the reference evaluator does) without clashing kernel registries.
//   The worker also overlaps detection with decoding and cropping on the main thread.
// - BlazeFace's graph has a fixed batch of 1 and the wasm backend runs single-threaded here
//   (~40-60 ms a frame), so frames are not batched: they are pipelined over a small pool of
//   workers (default 2) while ffmpeg decodes ahead.
// - Every face above the confidence threshold is returned (Human's `maxDetected` = maxFaces);
//   which one a frame contributes is the caller's choice (image.ts: pickFace).
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EnvironmentError } from '../diagnostics.js';
import { DEFAULT_MARGIN, type Box } from './image.js';

export interface DetectedFace {
  /** Human's face box (enlarged by the margin, square, whole pixels; may extend past the frame). */
  box: Box;
  /** BlazeFace's confidence. */
  score: number;
}

export interface FaceDetectorOptions {
  /** Box margin as a fraction of the detected box (Human's `face.detector.scale` - 1); default 0.4. */
  margin?: number;
  /** Minimum detection confidence; default Human's 0.2. */
  minConfidence?: number;
  /** How many faces to report per frame (Human's `face.detector.maxDetected`); default 10. */
  maxFaces?: number;
  /** TFJS backend: 'wasm' (default; falls back to 'cpu' if WebAssembly cannot start) or 'cpu'. */
  backend?: 'wasm' | 'cpu';
  /** Detector threads (BlazeFace runs single-threaded in wasm); default min(2, cores). */
  workers?: number;
}

export interface FaceDetector {
  readonly margin: number;
  /** The TFJS backend that runs the detector. */
  readonly backend: string;
  /** Human's version and the model file, for reports. */
  readonly description: string;
  /** The faces in an RGB frame (uint8 [height, width, 3]), most confident first (at most `maxFaces`). */
  detect(frame: Uint8Array, width: number, height: number): Promise<DetectedFace[]>;
  close(): Promise<void>;
}

interface Paths {
  tfjsCore: string;
  humanEsm: string;
  modelsDir: string;
  wasmDir: string;
}

function locate(): Paths {
  const require = createRequire(import.meta.url);
  try {
    // Human's exports map resolves the bare name to dist/human.node.js; the ESM bundle is beside it.
    const humanDist = dirname(require.resolve('@vladmandic/human'));
    return {
      tfjsCore: require.resolve('@tensorflow/tfjs-core'),
      humanEsm: join(humanDist, 'human.esm.js'),
      modelsDir: join(humanDist, '..', 'models'),
      wasmDir: dirname(require.resolve('@tensorflow/tfjs-backend-wasm')),
    };
  } catch (e) {
    throw new EnvironmentError(`face detection needs @vladmandic/human, @tensorflow/tfjs-core and @tensorflow/tfjs-backend-wasm: ${(e as Error).message}`, [
      'run npm install in the project',
    ]);
  }
}

// The worker's code (CommonJS, run with `eval: true` so that it needs no separate file in dist/).
const WORKER_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { fileURLToPath, pathToFileURL } = require('node:url');
const { join } = require('node:path');

async function start() {
  const d = workerData;
  globalThis.__dirname = d.wasmDir; // read by the bundled Emscripten glue
  const tfc = require(d.tfjsCore);
  const quiet = tfc.env().getBool('PROD');
  tfc.env().set('PROD', true); // silences "flag is being overwritten" while the bundle registers its flags
  tfc.env().set('IS_NODE', false);
  let H;
  try {
    H = await import(pathToFileURL(d.humanEsm).href);
  } finally {
    tfc.env().set('IS_NODE', true);
    tfc.env().set('PROD', quiet);
  }
  const platform = tfc.env().platform;
  const netFetch = platform.fetch.bind(platform);
  platform.fetch = async (path, init) => {
    const p = String(path);
    if (p.startsWith('file:') || p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) {
      const bytes = fs.readFileSync(p.startsWith('file:') ? fileURLToPath(p) : p);
      return new Response(bytes, { status: 200, headers: { 'content-type': p.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream' } });
    }
    return netFetch(path, init);
  };
  const human = new H.Human({
    backend: d.backend,
    wasmPath: d.wasmDir + '/',
    wasmPlatformFetch: true,
    modelBasePath: pathToFileURL(d.modelsDir).href + '/',
    debug: false,
    async: true,
    warmup: 'none',
    cacheModels: false,
    cacheSensitivity: 0,
    skipAllowed: false,
    filter: { enabled: false },
    gesture: { enabled: false },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    segmentation: { enabled: false },
    face: {
      enabled: true,
      detector: { enabled: true, modelPath: 'blazeface.json', rotation: false, maxDetected: d.maxFaces, minConfidence: d.minConfidence, iouThreshold: 0.1, scale: 1 + d.margin, skipFrames: 0, skipTime: 0, return: false },
      mesh: { enabled: false }, attention: { enabled: false }, iris: { enabled: false }, emotion: { enabled: false },
      description: { enabled: false }, antispoof: { enabled: false }, liveness: { enabled: false },
    },
  });
  const tf = human.tf;
  tf.io.registerLoadRouter((url) => {
    const u = Array.isArray(url) ? url[0] : url;
    if (typeof u !== 'string' || !u.startsWith('file://')) return null;
    return {
      load: async () => {
        const file = fileURLToPath(u);
        const json = JSON.parse(fs.readFileSync(file, 'utf8'));
        const dir = join(file, '..');
        const weightSpecs = [];
        const parts = [];
        for (const group of json.weightsManifest) {
          weightSpecs.push(...group.weights);
          for (const p of group.paths) parts.push(fs.readFileSync(join(dir, p)));
        }
        const all = Buffer.concat(parts);
        return {
          modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
          userDefinedMetadata: json.userDefinedMetadata, signature: json.signature,
          weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        };
      },
    };
  });
  await human.init();
  await human.load();
  if (!human.models.models.blazeface) throw new Error('BlazeFace did not load from ' + join(d.modelsDir, 'blazeface.json'));
  const warm = tf.zeros([1, 128, 128, 3]);
  await human.detect(warm);
  tf.dispose(warm);
  parentPort.postMessage({ type: 'ready', backend: tf.getBackend(), version: human.version });

  let queue = Promise.resolve();
  parentPort.on('message', (msg) => {
    queue = queue.then(async () => {
      let input;
      try {
        const rgb = new Float32Array(msg.data.length);
        rgb.set(msg.data);
        input = tf.tensor3d(rgb, [msg.height, msg.width, 3], 'float32');
        const res = await human.detect(input);
        if (res.error) throw new Error(String(res.error));
        const faces = (res.face || []).map((f) => ({ boxRaw: f.boxRaw, score: f.boxScore }));
        parentPort.postMessage({ type: 'result', id: msg.id, faces });
      } catch (e) {
        parentPort.postMessage({ type: 'result', id: msg.id, error: String((e && e.stack) || e) });
      } finally {
        if (input) tf.dispose(input);
      }
    });
  });
}

start().catch((e) => parentPort.postMessage({ type: 'fatal', error: String((e && e.stack) || e) }));
`;

interface WorkerReply {
  type: 'ready' | 'result' | 'fatal';
  id?: number;
  backend?: string;
  version?: string;
  error?: string;
  faces?: { boxRaw: [number, number, number, number]; score: number }[];
}

interface WorkerHandle {
  info: WorkerReply;
  pending: Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>;
  post(id: number, width: number, height: number, frame: Uint8Array): Promise<WorkerReply>;
  terminate(): Promise<void>;
}

async function startWorker(paths: Paths, settings: { margin: number; minConfidence: number; maxFaces: number; backend: string }): Promise<WorkerHandle> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ...paths, ...settings } });
  const pending: WorkerHandle['pending'] = new Map();
  let failure: Error | undefined;
  let closing = false;
  const failAll = (e: Error) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  const ready = new Promise<WorkerReply>((resolve, reject) => {
    worker.on('message', (m: WorkerReply) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'fatal') {
        const e = new EnvironmentError(`the face detector (Human's BlazeFace) could not start: ${m.error?.split('\n')[0]}`, [
          'check that node_modules/@vladmandic/human/models/blazeface.json and the TFJS wasm files are present',
        ]);
        reject(e);
        failAll(e);
      } else if (m.type === 'result' && m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        p?.resolve(m);
      }
    });
    worker.on('error', (err) => {
      const e = new EnvironmentError(`the face detector's worker failed: ${err.message}`);
      reject(e);
      failAll(e);
    });
    worker.on('exit', (code) => {
      const e = closing ? new Error('face detector is closed') : new EnvironmentError(`the face detector's worker exited (code ${code})`);
      reject(e);
      failAll(e);
    });
  });
  let info: WorkerReply;
  try {
    info = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    info,
    pending,
    post(id, width, height, frame) {
      if (failure) return Promise.reject(failure);
      return new Promise<WorkerReply>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, width, height, data: frame });
      });
    },
    async terminate() {
      closing = true;
      failAll(new Error('face detector is closed'));
      await worker.terminate();
    },
  };
}

/**
 * Starts a face detector: `workers` threads (default: 2, or 1 on a single core), each running
 * Human's BlazeFace; frames go to the least busy one. Close it when done.
 */
export async function openFaceDetector(opts: FaceDetectorOptions = {}): Promise<FaceDetector> {
  const margin = opts.margin ?? DEFAULT_MARGIN;
  if (!(Number.isFinite(margin) && margin > -1)) throw new RangeError(`face box margin must be a number > -1, got ${margin}`);
  const count = opts.workers ?? Math.max(1, Math.min(2, availableParallelism()));
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`workers must be a positive integer, got ${count}`);
  const paths = locate();
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startWorker(paths, { margin, minConfidence: opts.minConfidence ?? 0.2, maxFaces: opts.maxFaces ?? 10, backend: opts.backend ?? 'wasm' })),
  );
  const workers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw failed.reason;
  }
  const info = workers[0]!.info;
  let nextId = 0;
  let closed = false;
  return {
    margin,
    backend: info.backend ?? 'unknown',
    description: `@vladmandic/human ${info.version ?? '?'} BlazeFace (${join(paths.modelsDir, 'blazeface.json')}, ${info.backend} backend, ${count} worker${count > 1 ? 's' : ''})`,
    async detect(frame, width, height) {
      if (closed) throw new Error('face detector is closed');
      if (frame.length !== width * height * 3) throw new RangeError(`frame of ${frame.length} bytes is not ${width}x${height} RGB`);
      let w = workers[0]!;
      for (const x of workers) if (x.pending.size < w.pending.size) w = x;
      const m = await w.post(nextId++, width, height, frame);
      if (m.error) throw new EnvironmentError(`face detection failed: ${m.error.split('\n')[0]}`);
      // Human's box has whole-pixel corners; boxRaw divides them by the frame size.
      return (m.faces ?? []).map(({ boxRaw: [bx, by, bw, bh], score }) => ({
        box: { x1: Math.round(bx * width), y1: Math.round(by * height), x2: Math.round((bx + bw) * width), y2: Math.round((by + bh) * height) },
        score,
      }));
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Where the detector's files come from (for reports and tests). */
export function detectorFiles(): { humanBundle: string; model: string; wasmDir: string } {
  const p = locate();
  return { humanBundle: pathToFileURL(p.humanEsm).href, model: join(p.modelsDir, 'blazeface.json'), wasmDir: p.wasmDir };
}
