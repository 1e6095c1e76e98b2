// The bad-input catalogue (issue 6, item 4): the command line fed broken pipelines, model
// files, input files, videos, options and MP-SPDZ installations. Every case states the command,
// the exit status it must end with (1: the user's input, 2: the environment or the tool), what
// the message must say, and — for all cases — that no stack trace and no internal error is
// printed, that no control characters from the input reach the terminal, and that nothing is
// left behind: the -o target does not exist afterwards (unless the case says the build
// directory is legitimately complete) and no `.tmp` / `.rej` / `.orig` file remains anywhere.
//
// Each case runs `node dist/cli.js …` in a fresh directory of its own (so a stray default
// `out/<pipeline>` or a write into the working directory is caught), with MP_SPDZ_HOME='' unless
// the case sets it. MP-SPDZ is never needed: the MP-SPDZ cases use fake trees (compile.py,
// Compiler/ml.py, CHANGELOG.md, a shell script as the party binary) made in that directory.
//
// The table states the CORRECT behaviour. Where the tool does otherwise today the case fails;
// those cases are listed, with reproductions and fixes, in the report of issue 6.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ROOT, testUnless } from './helpers.js';

const CLI = join(ROOT, 'dist', 'cli.js');
/** A cache with no MP-SPDZ build in it: no case finds one that setup-mp-spdz made on this machine. */
const NO_CACHE = join(tmpdir(), 'ppvc-catalogue-no-mp-spdz-cache');
const FIX = join(ROOT, 'test', 'catalogue');

// The CLI as users run it (dist/ is built by the Jest globalSetup, test/global-setup.mjs): the
// cases of a command that is not registered (yet) are skipped, and say so.
const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
if (help.status !== 0) throw new Error(`node dist/cli.js --help exits with ${help.status ?? help.signal ?? help.error}: ${help.stderr}`);
const COMMANDS = new Set([...help.stdout.matchAll(/^\s+ppvc-dsl ([a-z][a-z-]*)/gm)].map((m) => m[1]!));

// ---- what a case can set up in its directory ---------------------------------------------------

interface Ctx {
  /** The case's own directory: the working directory of the command. */
  dir: string;
  /** $OUT: the -o target (a file or a directory, as the command takes). */
  out: string;
  /** $MP: where a fake MP-SPDZ tree goes. */
  mp: string;
}
type Setup = (c: Ctx) => void;

const read = (name: string) => readFileSync(join(FIX, name), 'utf8');
const TINY = read('tiny.ppvc');
const KERAS = JSON.parse(read('keras-8x8.json')) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
const LAMBDA = { class_name: 'Lambda', config: { name: 'norm', function: ['4wEAAAAAAAAAAQAAAAIAAABDAAAAcwgAAAB8AGQBGwBTACkCTmcAAAAAAOBvQKkAKQHaAXhyAQAAAHIBAAAA'], output_shape: null } };

/** Writes a file into the case directory. */
const file = (name: string, content: string | Uint8Array): Setup => (c) => {
  mkdirSync(join(c.dir, name, '..'), { recursive: true });
  writeFileSync(join(c.dir, name), content);
};
const dir = (name: string): Setup => (c) => mkdirSync(join(c.dir, name), { recursive: true });
/** A fixture's lines, edited: `{ 5: 'abc' }` replaces line 5; a function rewrites the list. */
const lines = (name: string, fixture: string, edit: Record<number, string> | ((l: string[]) => string[])): Setup => {
  const l = read(fixture).trimEnd().split('\n');
  const edited = typeof edit === 'function' ? edit(l) : l.map((x, i) => edit[i + 1] ?? x);
  return file(name, edited.length ? edited.join('\n') + '\n' : '');
};
/** tiny.ppvc with one edit, written as p.ppvc. */
const ppvc = (edit: (s: string) => string, name = 'p.ppvc'): Setup => file(name, edit(TINY));
/** keras-8x8.json with one edit, written as m.json. */
const keras = (edit: (m: typeof KERAS) => void, name = 'm.json'): Setup => {
  const m = structuredClone(KERAS);
  edit(m);
  return file(name, JSON.stringify(m));
};
/** tiny.ppvc whose model comes from `path` (relative to the pipeline). */
const fromFile = (path: string) => ppvc((s) => s.replace(/model net by bob \{[\s\S]*?\n\}/, `model net by bob from "${path}"`));
/**
 * A TF.js layers model of tiny.ppvc's CNN (conv 2 3x3, flatten, dense 3) with weights in
 * tf/w.bin, and p.ppvc taking its model from it. `edit` changes the 47 float32 weights or bytes.
 */
type Manifest = { paths: string[]; weights: { name: string; shape: number[] }[] };
const tfjs = (edit: { values?: (v: Float32Array) => void; bytes?: (b: Buffer) => Buffer; noShard?: boolean; manifest?: (m: Manifest) => void } = {}): Setup[] => {
  const layers = [
    { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, 4, 4, 1] } },
    { class_name: 'Conv2D', config: { name: 'c1', filters: 2, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', use_bias: true } },
    { class_name: 'Flatten', config: { name: 'f' } },
    { class_name: 'Dense', config: { name: 'd', units: 3, activation: 'linear', use_bias: true } },
  ];
  const weights = [['c1/kernel', [3, 3, 1, 2]], ['c1/bias', [2]], ['d/kernel', [8, 3]], ['d/bias', [3]]].map(([name, shape]) => ({ name, shape, dtype: 'float32' }));
  const model = {
    format: 'layers-model',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: 'Sequential', config: { name: 'net', layers } } },
    weightsManifest: [{ paths: ['w.bin'], weights }],
  };
  edit.manifest?.(model.weightsManifest[0] as Manifest);
  const values = Float32Array.from({ length: 47 }, (_, i) => ((i % 7) - 3) / 10);
  edit.values?.(values);
  const bytes = (edit.bytes ?? ((b) => b))(Buffer.from(values.buffer));
  return [file('tf/model.json', JSON.stringify(model)), ...(edit.noShard ? [] : [file('tf/w.bin', bytes)]), fromFile('tf/model.json')];
};

/** Every case's directory lives here; removed at the end. */
const WORK = mkdtempSync(join(tmpdir(), 'ppvc-catalogue-'));
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

/** The Compiler/ml.py helper blocks tiny.ppvc needs: the '+' lines of the ml.py.patch `build` writes. */
const HELPER_LINES = (() => {
  const d = join(WORK, 'helpers');
  const r = spawnSync('node', [CLI, 'build', join(FIX, 'tiny.ppvc'), '-o', d], { cwd: WORK, encoding: 'utf8', env: { ...process.env, MP_SPDZ_HOME: '', PPVC_DSL_CACHE: NO_CACHE } });
  if (r.status !== 0) throw new Error(`ppvc-dsl build ${join(FIX, 'tiny.ppvc')} failed, so the fake MP-SPDZ trees have no helpers: ${r.stderr}`);
  return readFileSync(join(d, 'ml.py.patch'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
    .map((l) => l.slice(1) + '\n')
    .join('');
})();
const ML_TAIL = "# (upstream ml.py)\n    if debug:\n        Optimizer.stat('intermediate', x)\n    return solve_upper(L.transpose(), x)\n";

interface TreeOptions {
  /** Compiler/ml.py carries the helpers (as after `patch -p1 < ml.py.patch`). Default true. */
  helpers?: boolean;
  compile?: 'ok' | 'fail' | 'absent';
  /** The party binary (replicated-ring-party.x): one that dies, hangs, is not executable, or none. */
  party?: 'crash' | 'hang' | 'noexec' | 'absent';
  /** Player-Data/P<i>.pem present. Default true. */
  certs?: boolean;
  /** The CHANGELOG's version. */
  version?: string;
}
/** A fake MP-SPDZ tree at $MP. Its default party binary dies at once: no case should reach it unless it says so. */
const tree = (o: TreeOptions = {}): Setup => (c) => {
  const mp = c.mp;
  mkdirSync(join(mp, 'Compiler'), { recursive: true });
  mkdirSync(join(mp, 'Player-Data'), { recursive: true });
  writeFileSync(join(mp, 'CHANGELOG.md'), `The changelog\n\n## ${o.version ?? '0.4.2'} (Dec 24, 2025)\n\n- fake tree for ppvc-dsl's tests\n`);
  writeFileSync(join(mp, 'Compiler', 'ml.py'), ML_TAIL + (o.helpers === false ? '' : HELPER_LINES));
  const compile = o.compile ?? 'ok';
  if (compile !== 'absent') {
    writeFileSync(
      join(mp, 'compile.py'),
      compile === 'ok'
        ? 'import sys\nprint("fake compile.py", *sys.argv[1:])\n'
        : 'import sys\nprint("Traceback (most recent call last):", file=sys.stderr)\nprint("CompilerError: simulated compile error in tiny.mpc", file=sys.stderr)\nsys.exit(1)\n',
    );
  }
  if (o.certs !== false) for (let i = 0; i < 4; i++) writeFileSync(join(mp, 'Player-Data', `P${i}.pem`), 'fake\n');
  const party = o.party ?? 'crash';
  if (party !== 'absent') {
    const bin = join(mp, 'replicated-ring-party.x');
    // started as <binary> <i> <program> -pn <port> -h localhost -IF <prefix>: $1 is the party
    writeFileSync(
      bin,
      party === 'hang'
        ? '#!/bin/sh\nexec sleep 60\n'
        : '#!/bin/sh\nif [ "$1" = 1 ]; then echo "Fatal error: simulated crash of party $1" >&2; exit 3; fi\nexec sleep 60\n',
    );
    chmodSync(bin, party === 'noexec' ? 0o644 : 0o755);
  }
};

// ---- the catalogue -----------------------------------------------------------------------------

interface Case {
  name: string;
  /** The command line; `$TINY $VIDEO $MODEL` are the good fixtures, `$OUT $MP $DIR` the case's paths. */
  args: string | string[];
  env?: Record<string, string>;
  setup?: Setup | Setup[];
  status: 1 | 2;
  /** Substrings or patterns the error output must contain (`$OUT` etc. expanded). */
  message: string | RegExp | (string | RegExp)[];
  /** 'build': the failure comes after a complete build, whose directory $OUT may stay (exactly its 4 files). */
  leaves?: 'nothing' | 'build';
  /** A command that must exist (`--help`) for the case to run. */
  requires?: string;
  after?: (c: Ctx) => void;
}

/** run on tiny.ppvc in the fake tree; add the input options. */
const RUN = 'run $TINY --mp-spdz $MP -o $OUT';
const GOOD_INPUTS = '--video-input $VIDEO --model-input $MODEL';
const BINARY_GARBAGE = Buffer.from('\x1b[2J\x1b]0;pwned\x07\x00\x01\x02garbage\x89PNG\r\n', 'latin1');

const CASES: Case[] = [
  // pipelines (.ppvc)
  { name: 'pipeline: no such file', args: 'check nosuch.ppvc', status: 1, message: 'nosuch.ppvc: no such file' },
  { name: 'pipeline: a directory', args: 'build p.ppvc -o $OUT', setup: dir('p.ppvc'), status: 1, message: 'p.ppvc: is a directory, expected a .ppvc file' },
  { name: 'pipeline: binary (NUL bytes)', args: 'build p.ppvc -o $OUT', setup: file('p.ppvc', BINARY_GARBAGE), status: 1, message: 'p.ppvc: is not a text file' },
  { name: 'pipeline: UTF-16 text', args: 'check p.ppvc', setup: file('p.ppvc', Buffer.from('\ufeff' + TINY, 'utf16le')), status: 1, message: 'p.ppvc: is not a text file' },
  { name: 'pipeline: empty file', args: 'build p.ppvc -o $OUT', setup: file('p.ppvc', ''), status: 1, message: "p.ppvc:1:1: error: syntax error in the 'pipeline NAME' header: unexpected end of file" },
  { name: 'pipeline: syntax error (missing colon)', args: 'build p.ppvc -o $OUT', setup: ppvc((s) => s.replace('video clip:', 'video clip')), status: 1, message: /p\.ppvc:8:\d+: error: / },
  { name: 'pipeline: kernel larger than the frame', args: 'build p.ppvc -o $OUT', setup: ppvc((s) => s.replace('kernel 3x3', 'kernel 5x5')), status: 1, message: 'p.ppvc:12:3: error: conv2d: the 5x5 kernel does not fit its 4x4 input' },
  { name: 'pipeline: a dense kernel too large names its parameters', args: 'check p.ppvc', setup: ppvc((s) => s.replace('flatten\n', 'flatten\n  dense 100000\n  dense 30000\n')), status: 1, message: "layer 'dense_2' is too large: 3,000,030,000 parameters (kernel [100000, 30000], bias [30000])" },
  { name: 'pipeline: video too large', args: 'check p.ppvc', setup: ppvc((s) => s.replace('[4, 4, 4, 1]', '[100000, 1000, 1000, 3]')), status: 1, message: 'the video is too large' },
  { name: "pipeline: unknown protocol '3pc' named as written", args: 'build p.ppvc -o $OUT', setup: ppvc((s) => s.replace('protocol replicated-ring', 'protocol 3pc')), status: 1, message: [/p\.ppvc:21:27: error: .*'3pc'/] },
  { name: 'pipeline: model file missing', args: 'build p.ppvc -o $OUT', setup: fromFile('nosuch.json'), status: 1, message: [/p\.ppvc:\d+:\d+: error: /, 'nosuch.json: cannot read the model file: ENOENT'] },
  { name: 'pipeline: model file with a Lambda layer', args: 'build p.ppvc -o $OUT', setup: [keras((m) => m.config.layers.splice(1, 0, LAMBDA)), fromFile('m.json')], status: 1, message: "m.json: layer 'norm' (Lambda): Lambda layers hold arbitrary Python code" },
  { name: "pipeline: model file's frame size differs from the video's", args: 'build p.ppvc -o $OUT', setup: [keras(() => {}), fromFile('m.json')], status: 1, message: "the model in 'm.json' takes [8, 8, 1] frames, but the video's frames are [4, 4, 1]" },

  // model files (import; export-weights for weights)
  { name: 'model: malformed JSON (truncated)', args: 'import m.json -o $OUT', setup: file('m.json', read('keras-8x8.json').slice(0, 200)), status: 1, message: 'm.json: not valid JSON' },
  { name: 'model: empty file', args: 'import m.json -o $OUT', setup: file('m.json', ''), status: 1, message: 'm.json: not valid JSON: Unexpected end of JSON input' },
  { name: 'model: binary garbage (escape sequences stay off the terminal)', args: 'import m.json -o $OUT', setup: file('m.json', BINARY_GARBAGE), status: 1, message: 'm.json: not valid JSON' },
  { name: 'model: a directory', args: 'import m.json -o $OUT', setup: dir('m.json'), status: 1, message: 'm.json: cannot read the model file: EISDIR' },
  { name: 'model: no such file', args: 'import nosuch.json -o $OUT', status: 1, message: 'nosuch.json: cannot read the model file: ENOENT' },
  { name: 'model: a broken HDF5 .h5 file', args: 'import m.h5 -o $OUT', setup: file('m.h5', Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(504)])), status: 1, message: ['m.h5: has no model_config attribute: not a Keras model file', "model.save('model.h5')"] },
  { name: 'model: a .h5 file that is not HDF5', args: 'import m.h5 -o $OUT', setup: file('m.h5', '{"class_name": "Sequential"}'), status: 1, message: 'm.h5: not an HDF5 file (no HDF5 signature): a Keras .h5 model file was expected' },
  { name: 'model: a .h5 directory', args: 'import m.h5 -o $OUT', setup: dir('m.h5'), status: 1, message: 'm.h5: is a directory, not a model file' },
  { name: 'model: unsupported Lambda layer', args: 'import m.json -o $OUT', setup: keras((m) => m.config.layers.splice(1, 0, LAMBDA)), status: 1, message: "m.json: layer 'norm' (Lambda): Lambda layers hold arbitrary Python code (marshalled bytecode) that cannot be translated to MPC" },
  { name: 'model: input of rank 2 (wrong shape)', args: 'import m.json -o $OUT', setup: keras((m) => (m.config.layers[0]!.config['batch_input_shape'] = [null, 8, 8])), status: 1, message: "m.json: layer 'c1' (Conv2D): needs an image input ([h, w, c] or [c, h, w]), found [8, 8]" },
  { name: 'model: kernel larger than its input', args: 'import m.json -o $OUT', setup: keras((m) => Object.assign(m.config.layers[1]!.config, { kernel_size: [9, 9], padding: 'valid' })), status: 1, message: "m.json: layer 'c1' (Conv2D): the 9x9 window does not fit the 8x8 input" },
  { name: 'model: negative Dense units', args: 'import m.json -o $OUT', setup: keras((m) => (m.config.layers[4]!.config['units'] = -3)), status: 1, message: "m.json: layer 'd' (Dense): invalid config: units must be a positive integer, found -3" },
  { name: 'model: a JSON array', args: 'import m.json -o $OUT', setup: file('m.json', '[1, 2, 3]'), status: 1, message: 'm.json: expected a JSON object describing a model, found an array' },
  { name: 'model: a layer, not a model', args: 'import m.json -o $OUT', setup: file('m.json', JSON.stringify({ class_name: 'Dense', config: {} })), status: 1, message: "m.json: the top-level object is a 'Dense', not a model" },
  { name: 'import --frames abc', args: 'import $FIX/keras-8x8.json --frames abc -o $OUT', status: 1, message: /--frames\b.*\b(abc|a number|a whole number|an integer)\b/ },
  { name: 'import --frames -5', args: 'import $FIX/keras-8x8.json --frames -5 --select 3 -o $OUT', status: 1, message: /--frames\b.*(-5|positive|at least 1)/ },
  { name: 'import --select beyond --frames', args: 'import $FIX/keras-8x8.json --frames 5 --select 9 -o $OUT', status: 1, message: '--select 9: the selection cannot exceed the frame count (--frames 5)' },
  { name: 'weights: a Keras JSON file has none', args: 'export-weights $TINY --model m.json -o $OUT', setup: keras(() => {}), status: 1, message: 'm.json: a Keras JSON file holds the architecture only, no weights' },
  { name: 'weights: inline model and no --model', args: 'export-weights $TINY -o $OUT', status: 1, message: "the pipeline's model is written inline: name the model file with weights with --model FILE" },
  { name: 'weights: shard shorter than the manifest says', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ bytes: (b) => b.subarray(0, 100) }), status: 1, message: "tf/model.json: weight 'd/kernel' needs bytes 80..176 but the shards of group 0 hold 100" },
  { name: 'weights: a Dense kernel transposed (right size, wrong shape)', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ manifest: (m) => (m.weights[2]!.shape = [3, 8]) }), status: 1, message: "tf/model.json: 'd' kernel has shape [3, 8], the pipeline needs [8, 3]" },
  { name: 'weights: a conv kernel with in and out swapped', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ manifest: (m) => (m.weights[0]!.shape = [3, 3, 2, 1]) }), status: 1, message: "tf/model.json: 'c1' kernel has shape [3, 3, 2, 1], the pipeline needs [3, 3, 1, 2]" },
  { name: 'weights: shard longer than the manifest says', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ bytes: (b) => Buffer.concat([b, Buffer.alloc(8)]) }), status: 1, message: 'tf/model.json: tf/w.bin has 196 bytes, the manifest describes 188' },
  { name: 'weights: an absolute shard path', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ manifest: (m) => (m.paths = ['/etc/passwd']) }), status: 1, message: "tf/model.json: weight shard '/etc/passwd' is outside the model's directory" },
  { name: "weights: a shard path with '..' out of the model's directory", args: 'export-weights p.ppvc -o $OUT', setup: [...tfjs({ manifest: (m) => (m.paths = ['../w.bin']) }), file('w.bin', Buffer.alloc(188))], status: 1, message: "tf/model.json: weight shard '../w.bin' is outside the model's directory" },
  { name: 'weights: shard missing', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ noShard: true }), status: 1, message: ["tf/model.json: weight shard 'w.bin' is missing: the model's weightsManifest names it, so it must be at tf/w.bin, beside the model file", 'help: put the shard there, beside model.json'] },
  { name: 'weights: a NaN weight', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ values: (v) => (v[5] = NaN) }), status: 1, message: [/c1/, /NaN|not a (finite )?number/] },
  { name: 'weights: a weight beyond the fixed-point range', args: 'export-weights p.ppvc -o $OUT', setup: tfjs({ values: (v) => (v[5] = 1e6) }), status: 1, message: [/1000000|1e\+?6/, 'out of range'] },

  // input files (checked by run before anything runs; the fake party binary would die)
  { name: 'input: a file for a party that provides none', args: `run p.ppvc --mp-spdz $MP -o $OUT ${GOOD_INPUTS} --input carol=c.txt`, setup: [tree(), ppvc((s) => s.replace('party bob   = 1', 'party carol = 2\nparty bob   = 1')), file('c.txt', '1\n')], status: 1, message: 'c.txt: party 2 (carol) provides no input to tiny; leave its file out', leaves: 'nothing' },
  { name: 'input: video one value short', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', (l) => l.slice(0, 63))], status: 1, message: ['v.txt: 63 values, but party 0 (alice) must provide 64', 'video [4,4,4,1]'] },
  { name: 'input: video one value too many', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', (l) => [...l, '0.5'])], status: 1, message: 'v.txt: 65 values, but party 0 (alice) must provide 64' },
  { name: 'input: empty video file', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), file('v.txt', '')], status: 1, message: 'v.txt: 0 values, but party 0 (alice) must provide 64' },
  { name: 'input: a word', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', { 5: 'abc' })], status: 1, message: "v.txt: element 4 (line 5) is not a number: 'abc'" },
  { name: 'input: NaN', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', { 5: 'NaN' })], status: 1, message: "v.txt: element 4 (line 5) is not a number: 'NaN'" },
  { name: 'input: Infinity', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', { 7: '-Infinity' })], status: 1, message: "v.txt: element 6 (line 7) is not a number: '-Infinity'" },
  { name: 'input: decimal comma', args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', { 5: '0,5' })], status: 1, message: "v.txt: element 4 (line 5) is not a number: '0,5'" },
  { name: "input: video value outside the pipeline's range [0, 1]", args: `${RUN} --video-input v.txt --model-input $MODEL`, setup: [tree(), lines('v.txt', 'tiny-video.txt', { 5: '1.5' })], status: 1, message: ['v.txt: element 4 (video[4]) is 1.5, out of range', 'a number in [0, 1]'] },
  { name: 'input: weight beyond sfix (f=16, k=31)', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), lines('w.txt', 'tiny-model.txt', { 12: '100000' })], status: 1, message: ['w.txt: element 11 (conv2d_1.kernel[3]) is 100000, out of range', 'magnitude below 16384'] },
  { name: 'input: weight beyond float32, reported as written', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), lines('w.txt', 'tiny-model.txt', { 20: '-1e300' })], status: 1, message: ['w.txt: element 19', /-1e\+?300/] },
  { name: 'input: selection entry 0.5', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), lines('w.txt', 'tiny-model.txt', { 1: '0.5' })], status: 1, message: ['w.txt: element 0 (selection[0]) is 0.5, out of range', 'expected: 0 or 1'] },
  { name: 'input: selection entry 2', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), lines('w.txt', 'tiny-model.txt', { 1: '2' })], status: 1, message: 'w.txt: element 0 (selection[0]) is 2, out of range' },
  { name: 'input: selection row with two ones', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), lines('w.txt', 'tiny-model.txt', { 2: '1' })], status: 1, message: 'w.txt: row 0 of the selection matrix has 2 ones; each row must select exactly one frame' },
  { name: 'input: selection row with no one', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), lines('w.txt', 'tiny-model.txt', { 7: '0' })], status: 1, message: 'w.txt: row 1 of the selection matrix has 0 ones' },
  { name: 'input: binary garbage (escape sequences stay off the terminal)', args: `${RUN} --video-input $VIDEO --model-input w.txt`, setup: [tree(), file('w.txt', BINARY_GARBAGE)], status: 1, message: 'w.txt: element 0 (line 1) is not a number' },
  { name: 'input: no such file', args: `${RUN} --video-input nosuch.txt --model-input $MODEL`, setup: tree(), status: 1, message: 'nosuch.txt: no such file' },
  { name: 'input: a directory', args: `${RUN} --video-input v --model-input $MODEL`, setup: [tree(), dir('v')], status: 1, message: 'v: cannot read (EISDIR)' },
  { name: "input: the model owner's file not given", args: `${RUN} --video-input $VIDEO`, setup: tree(), status: 1, message: 'no input file for party 1 (bob), which provides selection, conv2d_1.kernel' },
  { name: 'input: --input for an unknown party', args: `${RUN} ${GOOD_INPUTS} --input carol=x.txt`, setup: tree(), status: 1, message: '--input carol=x.txt: expected PARTY=FILE with a party name or id (alice, bob)' },

  // videos
  { name: 'video: no such file', requires: 'prepare-video', args: 'prepare-video nosuch.mp4 --pipeline $TINY -o $OUT', status: 1, message: 'nosuch.mp4: no such file' },
  { name: 'video: a text file', requires: 'prepare-video', args: 'prepare-video notes.txt --pipeline $TINY -o $OUT', setup: file('notes.txt', 'this is not a video\n'.repeat(20)), status: 1, message: 'notes.txt: not a video file' },
  { name: 'video: empty file', requires: 'prepare-video', args: 'prepare-video v.mp4 --pipeline $TINY -o $OUT', setup: file('v.mp4', ''), status: 1, message: 'v.mp4: not a video file (it is empty)' },
  { name: 'video: a directory', requires: 'prepare-video', args: 'prepare-video v.mp4 --pipeline $TINY -o $OUT', setup: dir('v.mp4'), status: 1, message: 'v.mp4: not a video file (it is a directory)' },

  // options
  { name: 'options: unknown command', args: 'frobnicate $TINY', status: 1, message: /Unknown (arguments?|command): frobnicate/ },
  { name: 'options: no command', args: [], status: 1, message: 'name a command; see --help' },
  { name: 'options: unknown option', args: 'check $TINY --frobnicate', status: 1, message: 'Unknown argument: frobnicate' },
  { name: 'options: missing file argument', args: 'check', status: 1, message: 'Not enough non-option arguments' },
  { name: 'options: bad --protocol', args: 'build $TINY --protocol 3pc -o $OUT', status: 1, message: ['Invalid values', 'Given: "3pc"', 'replicated-ring'] },
  { name: 'options: --protocol given twice', args: 'check $TINY --protocol semi2k --protocol spdz2k', status: 1, message: /--protocol.*more than once/ },
  { name: 'options: -o given twice', args: 'build $TINY -o a -o b', status: 1, message: /--out.*more than once/ },
  { name: 'options: -o without a value', args: 'build $TINY -o', status: 1, message: /--out\b.*(a value|empty)/ },
  // the repeated-option check reads each command's declared options: no list of names to forget one in
  { name: 'options: --svg given twice (report)', args: 'report r.jsonl --svg a.svg --svg b.svg', status: 1, message: '--svg is given more than once' },
  { name: 'options: --fps given twice (prepare-video)', args: 'prepare-video v.mp4 --pipeline $TINY -o $OUT --fps 1 --fps 2', status: 1, message: '--fps is given more than once' },
  { name: 'options: --jobs given twice (setup-mp-spdz)', args: 'setup-mp-spdz --source s --jobs 1 --jobs 2', status: 1, message: '--jobs is given more than once' },
  { name: 'options: --model= without a value (export-weights)', args: 'export-weights $TINY --model= -o $OUT', status: 1, message: '--model needs a value (it is empty)' },
  { name: 'options: bad --frames spec', args: 'random-weights $TINY --frames bogus -o $OUT', status: 1, message: "--frames bogus: expected 'even', 'every:K' or a list such as 0,15,30" },
  { name: 'options: --frames with too few frames', args: 'random-weights $TINY --frames 0 -o $OUT', status: 1, message: '--frames 0: gives 1 frame below 4; the pipeline selects 2' },
  { name: 'options: --frames lists a frame twice', args: 'random-weights $TINY --frames 1,1 -o $OUT', status: 1, message: '--frames 1,1: frame 1 is listed twice; a selection picks 2 different frames' },
  { name: 'options: --frames beyond the video names the frame', args: 'random-weights $TINY --frames 0,7 -o $OUT', status: 1, message: ['--frames 0,7', /frame 7\b/] },
  { name: 'options: --frames every:0', args: 'export-weights p.ppvc --frames every:0 -o $OUT', setup: tfjs(), status: 1, message: '--frames every:0' },
  { name: 'options: --seed abc', args: 'random-weights $TINY --seed abc -o $OUT', status: 1, message: /--seed\b.*\b(abc|a number|a whole number|an integer)\b/ },
  // the generators take a uint32: these were silently another seed (0, 0, 4294967295)
  { name: 'options: --seed 0.5', args: 'random-weights $TINY --seed 0.5 -o $OUT', status: 1, message: '--seed 0.5: expected an integer from 0 to 4294967295' },
  { name: 'options: --seed 4294967296', args: 'random-weights $TINY --seed 4294967296 -o $OUT', status: 1, message: '--seed 4294967296: expected an integer from 0 to 4294967295' },
  { name: 'options: --seed=-1 (simulate)', requires: 'simulate', args: 'simulate $TINY --video $VIDEO --weights $MODEL --seed=-1', status: 1, message: '--seed -1: expected an integer from 0 to 4294967295' },
  { name: 'options: --budget abc', args: 'build $TINY --budget abc -o $OUT', status: 1, message: /--budget\b.*\b(abc|a number|a whole number|an integer)\b/ },
  { name: 'options: --timeout abc (before anything runs)', args: `${RUN} ${GOOD_INPUTS} --timeout abc`, setup: tree(), status: 1, message: /--timeout\b.*\b(abc|a number|a whole number|an integer)\b/ },
  { name: 'options: --out into /proc (a directory)', args: 'build $TINY -o /proc/x', status: 1, message: ['/proc/x', /cannot (write|create)/] },
  { name: 'options: --out into /proc (a file)', args: 'random-weights $TINY -o /proc/w.txt', status: 1, message: ['/proc/w.txt', /cannot (write|create)/] },
  { name: 'options: --out is an existing directory', args: 'random-weights $TINY -o d', setup: dir('d'), status: 1, message: ['d', 'is a directory'] },
  // an output over the command's own input would destroy it
  { name: 'options: random-weights --out is the pipeline', args: 'random-weights p.ppvc -o ./p.ppvc', setup: ppvc((s) => s), status: 1, message: '--out ./p.ppvc is the input file p.ppvc; choose another path', after: (c) => expect(readFileSync(join(c.dir, 'p.ppvc'), 'utf8')).toBe(TINY) },
  { name: 'options: export-weights --out is the model file', args: 'export-weights p.ppvc --model tf/model.json -o tf/model.json', setup: tfjs(), status: 1, message: '--out tf/model.json is the input file tf/model.json; choose another path' },
  { name: 'options: export-weights --out is a weight shard', args: 'export-weights p.ppvc -o tf/w.bin', setup: tfjs(), status: 1, message: '--out tf/w.bin is the input file tf/w.bin; choose another path' },
  { name: 'options: import --out is the model file', args: 'import m.json -o m.json', setup: keras(() => {}), status: 1, message: '--out m.json is the input file m.json; choose another path', after: (c) => expect(readFileSync(join(c.dir, 'm.json'), 'utf8')).toBe(JSON.stringify(KERAS)) },
  { name: 'options: build --out . would overwrite a pipeline named inputs.json', args: 'build inputs.json -o .', setup: ppvc((s) => s, 'inputs.json'), status: 1, message: ['--out .: writing', 'inputs.json would overwrite the input file inputs.json; choose another path'] },
  { name: 'options: --out below an existing file', args: 'build $TINY -o f/out', setup: file('f', 'a file\n'), status: 1, message: ['f/out', /cannot (write|create)/] },

  // the clear-text simulation (simulate): the same input files, no MP-SPDZ
  { name: 'simulate: video input one value short', requires: 'simulate', args: 'simulate $TINY --video v.txt --weights $MODEL', setup: lines('v.txt', 'tiny-video.txt', (l) => l.slice(0, 63)), status: 1, message: "v.txt: 63 values, but video 'clip' [4, 4, 4, 1] has 64" },
  { name: 'simulate: a word in the video input file', requires: 'simulate', args: 'simulate $TINY --video v.txt --weights $MODEL', setup: lines('v.txt', 'tiny-video.txt', { 5: 'abc' }), status: 1, message: "v.txt: element 4 (line 5) is not a number: 'abc'" },
  { name: 'simulate: empty video input file', requires: 'simulate', args: 'simulate $TINY --video v.txt --weights $MODEL', setup: file('v.txt', ''), status: 1, message: /v\.txt: 0 values/ },
  { name: 'simulate: a file for a party that provides none', requires: 'simulate', args: 'simulate p.ppvc --video $VIDEO --weights $MODEL --input carol=c.txt', setup: [ppvc((s) => s.replace('party bob   = 1', 'party carol = 2\nparty bob   = 1')), file('c.txt', '1\n')], status: 1, message: '--input carol=c.txt: party 2 (carol) provides no input to tiny; leave its file out' },
  { name: 'simulate: selection row with two ones', requires: 'simulate', args: 'simulate $TINY --video $VIDEO --weights w.txt', setup: lines('w.txt', 'tiny-model.txt', { 2: '1' }), status: 1, message: 'w.txt: row 0 of the selection matrix has 2 ones' },
  { name: 'simulate: weights file of binary garbage', requires: 'simulate', args: 'simulate $TINY --video $VIDEO --weights w.txt', setup: file('w.txt', BINARY_GARBAGE), status: 1, message: 'w.txt: element 0 (line 1) is not a number' },
  { name: 'simulate: --classes names too few', requires: 'simulate', args: 'simulate $TINY --video $VIDEO --weights $MODEL --classes a,b', status: 1, message: '--classes names 2 classes; the pipeline has 3' },
  { name: 'simulate: --labels file missing', requires: 'simulate', args: 'simulate $TINY --video $VIDEO --weights $MODEL --labels nosuch.csv', status: 1, message: 'nosuch.csv: no such file' },
  { name: "simulate: --input for the party whose file --weights gives", requires: 'simulate', args: 'simulate $TINY --video $VIDEO --weights $MODEL --input bob=w.txt', setup: lines('w.txt', 'tiny-model.txt', (l) => l.slice(0, 3)), status: 1, message: '--input bob=w.txt: party 1 already has the input file $MODEL (--weights)' },
  { name: 'simulate: --input twice for one party', requires: 'simulate', args: 'simulate p.ppvc --video $VIDEO --weights $MODEL --input carol=a.txt --input 2=b.txt', setup: [ppvc((s) => s.replace('party bob  ', 'party carol = 2\nparty bob  ')), file('a.txt', '1\n'), file('b.txt', '1\n')], status: 1, message: '--input 2=b.txt: party 2 already has the input file a.txt' },
  { name: 'simulate: a folder without videos', requires: 'simulate', args: 'simulate $TINY --video vids --weights $MODEL', setup: file('vids/readme.md', 'nothing here\n'), status: 1, message: 'vids: no videos' },

  // the formatter (fmt): never rewrites a file it cannot parse faithfully
  { name: 'fmt: no such file', requires: 'fmt', args: 'fmt nosuch.ppvc', status: 1, message: 'nosuch.ppvc: no such file' },
  { name: 'fmt: binary file', requires: 'fmt', args: 'fmt p.ppvc --write', setup: file('p.ppvc', BINARY_GARBAGE), status: 1, message: 'p.ppvc: is not a text file' },
  {
    name: 'fmt: --write on a syntax error leaves the file as it was',
    requires: 'fmt',
    args: 'fmt p.ppvc --write',
    setup: ppvc((s) => s.replace('video clip:', 'video clip')),
    status: 1,
    message: /p\.ppvc:8:\d+: error: /,
    after: (c) => expect(readFileSync(join(c.dir, 'p.ppvc'), 'utf8')).toBe(TINY.replace('video clip:', 'video clip')),
  },
  {
    // a number glued to a name is one word (fmt leaves it alone); check names it whole
    name: "check: a typo '3pc' is quoted whole",
    args: 'check p.ppvc',
    setup: ppvc((s) => s.replace('protocol replicated-ring', 'protocol 3pc')),
    status: 1,
    message: /p\.ppvc:21:27: error: unknown protocol '3pc'/,
  },
  { name: 'fmt: --check and --write together', requires: 'fmt', args: 'fmt $TINY --check --write', status: 1, message: '--check changes nothing and --write rewrites files' },
  { name: 'fmt: no files', requires: 'fmt', args: 'fmt', status: 1, message: 'fmt needs the .ppvc files to format (or --stdin)' },

  // cost reports (report) from run's result records
  { name: 'report: no such file', requires: 'report', args: 'report nosuch.jsonl', status: 1, message: 'nosuch.jsonl: no such file' },
  { name: 'report: empty file', requires: 'report', args: 'report r.jsonl', setup: file('r.jsonl', ''), status: 1, message: 'r.jsonl: no result records' },
  { name: 'report: binary garbage', requires: 'report', args: 'report r.jsonl', setup: file('r.jsonl', BINARY_GARBAGE), status: 1, message: 'r.jsonl:1: not a JSON line' },
  { name: 'report: a JSON line that is not a record', requires: 'report', args: 'report r.jsonl', setup: file('r.jsonl', '{"x": 1}\n'), status: 1, message: "r.jsonl:1: not a result record of 'ppvc-dsl run --results' (no 'pipeline')" },

  // deployment bundles (deploy)
  { name: 'deploy: hosts file missing', requires: 'deploy', args: 'deploy $TINY --hosts nosuch -o $OUT', status: 1, message: 'nosuch: no such file' },
  { name: 'deploy: fewer hosts than parties', requires: 'deploy', args: 'deploy $TINY --hosts hosts -o $OUT', setup: file('hosts', 'a\nb\n'), status: 1, message: 'hosts lists 2 hosts, but replicated-ring needs exactly 3' },
  { name: 'deploy: an IPv6 address', requires: 'deploy', args: 'deploy $TINY --hosts hosts -o $OUT', setup: file('hosts', '::1\nb\nc\n'), status: 1, message: "hosts:1: '::1' looks like an IPv6 address" },
  { name: 'deploy: a port beyond 65535', requires: 'deploy', args: 'deploy $TINY --hosts hosts -o $OUT', setup: file('hosts', 'a\nb:99999\nc\n'), status: 1, message: "hosts:2: 'b:99999': the port '99999' is not a number from 1 to 65535" },
  { name: 'deploy: video input one value short', requires: 'deploy', args: 'deploy $TINY --hosts hosts --video-input v.txt -o $OUT', setup: [file('hosts', 'a\nb\nc\n'), lines('v.txt', 'tiny-video.txt', (l) => l.slice(0, 63))], status: 1, message: 'v.txt: 63 values, but party 0 (alice) must provide 64' },
  { name: 'deploy: output directory not empty (left as it was)', requires: 'deploy', args: 'deploy $TINY --hosts hosts -o d', setup: [file('hosts', 'a\nb\nc\n'), file('d/mine.txt', 'mine\n')], status: 1, message: ['is not empty', '--replace'] },
  // --force means "past the memory estimate" on every command, deploy too: the hint names --replace
  { name: 'deploy: --force does not replace a non-empty directory', requires: 'deploy', args: 'deploy $TINY --hosts hosts -o d --force', setup: [file('hosts', 'a\nb\nc\n'), file('d/mine.txt', 'mine\n')], status: 1, message: ['is not empty', '--replace', '--force'] },
  { name: 'deploy: --port abc', requires: 'deploy', args: 'deploy $TINY --hosts hosts --port abc -o $OUT', setup: file('hosts', 'a\nb\nc\n'), status: 1, message: /--port\b.*\b(abc|a number|a whole number|an integer)\b/ },
  { name: 'deploy: --out into /proc', requires: 'deploy', args: 'deploy $TINY --hosts hosts -o /proc/x', setup: file('hosts', 'a\nb\nc\n'), status: 1, message: ['/proc/x', /cannot (write|create)/] },

  // MP-SPDZ
  { name: 'MP-SPDZ: run with none configured', args: `run $TINY ${GOOD_INPUTS} -o $OUT`, status: 2, message: ['run needs MP-SPDZ: none configured', 'pass --mp-spdz DIR or set MP_SPDZ_HOME'] },
  { name: 'MP-SPDZ: MP_SPDZ_HOME a missing directory (build)', args: 'build $TINY -o $OUT', env: { MP_SPDZ_HOME: '$DIR/nosuch' }, status: 2, message: 'MP-SPDZ directory not found: $DIR/nosuch' },
  { name: 'MP-SPDZ: MP_SPDZ_HOME a missing directory (run)', args: `run $TINY ${GOOD_INPUTS} -o $OUT`, env: { MP_SPDZ_HOME: '$DIR/nosuch' }, status: 2, message: 'MP-SPDZ directory not found: $DIR/nosuch' },
  { name: 'MP-SPDZ: a directory without compile.py (build)', args: 'build $TINY --mp-spdz $MP -o $OUT', setup: tree({ compile: 'absent' }), status: 2, message: '$MP is not an MP-SPDZ tree: compile.py or Compiler/ml.py is missing' },
  { name: 'MP-SPDZ: a directory without compile.py (run)', args: `${RUN} ${GOOD_INPUTS}`, setup: tree({ compile: 'absent' }), status: 2, message: '$MP is not an MP-SPDZ tree' },
  { name: 'MP-SPDZ: version 0.3.9 too old', args: 'build $TINY --mp-spdz $MP -o $OUT', setup: tree({ version: '0.3.9' }), status: 2, message: 'MP-SPDZ 0.3.9 in $MP is too old: ppvc-dsl needs 0.4.2 or newer' },
  { name: 'MP-SPDZ: party binary missing', args: `${RUN} ${GOOD_INPUTS}`, setup: tree({ party: 'absent' }), status: 2, message: ['replicated-ring-party.x is missing in $MP', 'make replicated-ring-party.x'] },
  { name: 'MP-SPDZ: emulate.x missing', args: `${RUN} ${GOOD_INPUTS} --protocol emulate`, setup: tree(), status: 2, message: 'emulate.x is missing in $MP' },
  { name: "MP-SPDZ: ml.py without the helpers (build; the patch's path)", args: 'build $TINY --mp-spdz $MP -o $OUT', setup: tree({ helpers: false }), status: 2, message: ["MP-SPDZ's Compiler/ml.py lacks the helpers this program needs", 'patch -p1 < $OUT/ml.py.patch'], leaves: 'build' },
  { name: "MP-SPDZ: ml.py without the helpers (run; the patch's path)", args: `${RUN} ${GOOD_INPUTS}`, setup: tree({ helpers: false }), status: 2, message: ["MP-SPDZ's Compiler/ml.py lacks the helpers this program needs", 'patch -p1 < $OUT/ml.py.patch'], leaves: 'build' },
  {
    name: 'MP-SPDZ: --patch-mp-spdz on an ml.py with a helper block cut short (left as it was)',
    args: 'build $TINY --mp-spdz $MP --patch-mp-spdz -o $OUT',
    setup: [tree({ helpers: false }), (c) => writeFileSync(join(c.mp, 'Compiler', 'ml.py'), 'x = 1\n# >>> ppvc-dsl helper relu 0123456789ab\n')],
    status: 2,
    message: ['cannot add the helpers to $MP/Compiler/ml.py', 'the ppvc-dsl helper relu at line 2 has no end marker', 'git checkout Compiler/ml.py'],
    leaves: 'build',
    after: (c) => expect(readFileSync(join(c.mp, 'Compiler', 'ml.py'), 'utf8')).toBe('x = 1\n# >>> ppvc-dsl helper relu 0123456789ab\n'),
  },
  { name: 'MP-SPDZ: compile.py fails (build)', args: 'build $TINY --mp-spdz $MP -o $OUT', setup: tree({ compile: 'fail' }), status: 2, message: ["MP-SPDZ's compile.py failed for tiny (exit 1)", 'CompilerError: simulated compile error'], leaves: 'build' },
  { name: 'MP-SPDZ: compile.py fails (run)', args: `${RUN} ${GOOD_INPUTS}`, setup: tree({ compile: 'fail' }), status: 2, message: ["MP-SPDZ's compile.py failed for tiny (exit 1)", 'CompilerError: simulated compile error'], leaves: 'build' },
  { name: 'MP-SPDZ: a party dies', args: `${RUN} ${GOOD_INPUTS}`, setup: tree(), status: 2, message: ['party 1 failed (exit 3) running tiny under replicated-ring', 'Fatal error: simulated crash of party 1'], leaves: 'build' },
  { name: 'MP-SPDZ: party binary not executable', args: `${RUN} ${GOOD_INPUTS}`, setup: tree({ party: 'noexec' }), status: 2, message: ['replicated-ring-party.x', /EACCES|permission denied|not executable/i], leaves: 'build' },
  { name: 'MP-SPDZ: parties stopped by --timeout', args: `${RUN} ${GOOD_INPUTS} --timeout 2`, setup: tree({ party: 'hang' }), status: 2, message: /timed out|time-?out/i, leaves: 'build' },
  { name: 'MP-SPDZ: no certificates and no Scripts/setup-ssl.sh', args: `${RUN} ${GOOD_INPUTS}`, setup: tree({ certs: false }), status: 2, message: /setup-ssl\.sh.*(not found|missing|ENOENT|no such file)/i, leaves: 'build' },
];

// ---- running a case ----------------------------------------------------------------------------

const BUILD_FILES = ['commands.json', 'inputs.json', 'ml.py.patch', 'tiny.mpc'];
const CASE_SECONDS = 30;

function expand(s: string, c: Ctx): string {
  return s
    .replaceAll('$TINY', join(FIX, 'tiny.ppvc'))
    .replaceAll('$VIDEO', join(FIX, 'tiny-video.txt'))
    .replaceAll('$MODEL', join(FIX, 'tiny-model.txt'))
    .replaceAll('$FIX', FIX)
    .replaceAll('$OUT', c.out)
    .replaceAll('$MP', c.mp)
    .replaceAll('$DIR', c.dir);
}

/** Every path under `root` (relative), directories marked with a trailing '/'. */
function walk(root: string, skip?: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === skip) continue;
      out.push(relative(root, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) visit(p);
    }
  };
  if (existsSync(root)) visit(root);
  return out.sort();
}

interface Outcome {
  /** The exit status, or why there is none. */
  status: number | string;
  stdout: string;
  stderr: string;
}

/** The CLI in `cwd`, stopped (SIGKILL) after CASE_SECONDS: a hang is a failure, not a stuck suite. */
function cli(args: string[], cwd: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((done) => {
    const child = spawn('node', [CLI, ...args], { cwd, env: { ...process.env, MP_SPDZ_HOME: '', PPVC_DSL_CACHE: NO_CACHE, PPVC_DEBUG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, CASE_SECONDS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ status: hung ? `no exit: still running after ${CASE_SECONDS} s` : (code ?? `killed by ${signal}`), stdout, stderr });
    });
  });
}

const STACK_FRAME = /^\s+at .*:\d+:\d+\)?\s*$/m;
// C0 controls other than tab, newline and carriage return; DEL; C1 controls (raw ESC sequences
// from an input file would reach the user's terminal)
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]/;

async function check(k: Case, i: number): Promise<void> {
  const dir = join(WORK, `case-${String(i + 1).padStart(2, '0')}`);
  mkdirSync(dir);
  const c: Ctx = { dir, out: join(dir, 'out'), mp: join(dir, 'mp') };
  for (const s of [k.setup ?? []].flat()) s(c);
  const before = walk(dir, c.mp);
  const args = (typeof k.args === 'string' ? k.args.split(/\s+/).filter(Boolean) : k.args).map((a) => expand(a, c));
  const env = Object.fromEntries(Object.entries(k.env ?? {}).map(([key, v]) => [key, expand(v, c)]));
  const r = await cli(args, dir, env);
  const shown = `$ ${Object.entries(env).map(([key, v]) => `${key}=${v} `).join('')}ppvc-dsl ${args.join(' ')}\n--- stderr:\n${r.stderr}--- stdout:\n${r.stdout}`;

  // the exit status (with the whole output when it is wrong)
  expect({ status: r.status, shown }).toEqual({ status: k.status, shown });
  // the message
  for (const m of [k.message].flat()) {
    if (typeof m === 'string') expect(r.stderr).toContain(expand(m, c));
    else expect(r.stderr).toMatch(m);
  }
  // never a stack trace, never an internal error, never raw control characters
  expect(r.stderr + r.stdout).not.toMatch(STACK_FRAME);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr + r.stdout).not.toMatch(CONTROL);
  // nothing left behind: no temporary files or patch leftovers anywhere (the fake tree too) ...
  expect(walk(dir).filter((p) => /\.(tmp|rej|orig)\/?$/.test(p))).toEqual([]);
  // ... and no output: the directory is as it was, or has gained only the complete build in $OUT
  const after = walk(dir, c.mp);
  if ((k.leaves ?? 'nothing') === 'nothing') {
    expect({ outExists: existsSync(c.out), added: after.filter((p) => !before.includes(p)) }).toEqual({ outExists: false, added: [] });
    expect(after).toEqual(before);
  } else {
    expect(after.filter((p) => !before.includes(p))).toEqual(['out/', ...BUILD_FILES.map((f) => `out/${f}`)]);
  }
  k.after?.(c);
}

test('the catalogue has at least 40 cases with distinct names', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

const indexed = CASES.map((k, i) => [k.name, k, i] as const);
const runnable = indexed.filter(([, k]) => !k.requires || COMMANDS.has(k.requires));
const missing = indexed.filter(([, k]) => k.requires && !COMMANDS.has(k.requires));

test.concurrent.each(runnable)('%s', async (_name, k, i) => check(k, i), (CASE_SECONDS + 30) * 1000);
for (const command of new Set(missing.map(([, k]) => k.requires!))) {
  testUnless(`the ${command} command does not exist (yet)`).each(missing.filter(([, k]) => k.requires === command))('%s', async (_name, k, i) => check(k, i));
}
