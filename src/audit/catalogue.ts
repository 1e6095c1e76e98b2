// The ways an MP-SPDZ program can open or output a value, from MP-SPDZ 0.4.2's Compiler
// (types.py, library.py, instructions.py, GC/, ml.py, util.py). Every name here is an opening
// wherever it occurs as code: called, passed, aliased (`f = x.reveal`), imported or rebound.
// Names not listed that contain one of OPEN_WORDS are openings too, unless the file binds
// them itself or they are listed in HARMLESS.

export type OpenKind =
  /** opens to every party */
  | 'reveal'
  /** opens to one party */
  | 'reveal_to'
  /** prints (at party 0 by default; at every party with -I or -OF) */
  | 'print_ln'
  /** prints at one party */
  | 'print_ln_to'
  /** writes values or shares to a file, a socket, a client or the output stream */
  | 'output'
  /** a switch or function of MP-SPDZ's library that opens or prints values itself */
  | 'library'
  /** Python that can reach any of these under a name the audit cannot see */
  | 'dynamic'
  /** imports code the audit does not read */
  | 'import'
  /** a name that suggests output, not known to MP-SPDZ 0.4.2 */
  | 'other';

export interface Opener {
  kind: OpenKind;
  /** The argument (0-based; or `player=`) naming the receiving party, for openings to one party. */
  party?: number;
}

const entries: [OpenKind, string[], number?][] = [
  // types.py: .reveal() of sint/sfix/sfloat/Array/Matrix/MultiArray/MemValue, library.reveal,
  // util.reveal; GC sbits/sbitvec .reveal; the OPEN instruction and its vector form
  ['reveal', ['reveal', 'reveal_list', 'reveal_nested', 'print_reveal_nested', 'reveal_print_hex', 'asm_open', 'vasm_open']],
  // sint/sfix/Array .reveal_to(player) -> personal; instructions privateoutput(size, player, ...),
  // sendpersonal(size, to_player, ...); binary outputs at one player (player= or the first argument)
  ['reveal_to', ['reveal_to'], 0],
  ['reveal_to', ['privateoutput', 'sendpersonal'], 1],
  ['output', ['binary_output', 'reveal_to_binary_output'], 0],
  ['print_ln_to', ['print_ln_to', 'print_str_to'], 0],
  // library.py print functions, the print methods of clear types, the print instructions
  [
    'print_ln',
    [
      'print_ln', 'print_str', 'print_both', 'print_ln_if', 'print_str_if', 'print_float_plain', 'print_float_prec', 'print_float_precision',
      'print_plain', 'print_if', 'output_if', 'print_reg', 'print_reg_plain', 'print_reg_plains', 'print_int', 'print_char', 'print_char4',
      'cond_print_plain', 'cond_print_str', 'print_regb', 'print_reg_plainb', 'print_reg_plainsb', 'print_reg_signed', 'print_float_plainb',
      'cond_print_strb', 'print_at_depth', 'runtime_error', 'runtime_error_if',
    ],
  ],
  // .output() prints shares; files (Persistence/, Player-Data/Binary-Output-*), sockets, clients
  [
    'output',
    [
      'output', 'raw_output', 'intoutput', 'floatoutput', 'write_to_file', 'writesharestofile', 'write_to_socket', 'write_fully_to_socket',
      'write_share_to_socket', 'write_shares_to_socket', 'writesocketc', 'writesockets', 'writesocketshare', 'writesocketint',
      'reveal_to_clients', 'reveal_to_socket_by_party', 'public_output',
    ],
  ],
  // ml.py: functions that open or print values (always, or by default), and the switches and
  // keywords that make layers and optimizers do so (print_secrets= is library.py's)
  [
    'library',
    [
      'stat', 'progress', 'report_progress', 'run', 'run_by_args', 'fit', 'fit_with_testing', 'reveal_correctness', 'revealing_correctness',
      'average_loss', 'output_weights', 'reveal_parameters_to_binary', 'solve_linear', 'solve_linear_diag_precond', 'cholesky',
      'reveal_diagonal', 'get_extra_debugging', 'maybe_debug_backward', 'debug', 'debug_output', 'print_random_update', 'print_accuracy',
      'print_losses', 'print_loss_reduction', 'print_update_average', 'output_stats', 'output_grad', 'output_diff', 'print_secrets',
    ],
  ],
];

export const OPENERS = new Map<string, Opener>();
for (const [kind, names, party] of entries) for (const n of names) OPENERS.set(n, party === undefined ? { kind } : { kind, party });

/** Any other name holding one of these words is treated as an opening unless the file binds it. */
export const OPEN_WORDS = /reveal|print|output|write|open|socket|send|debug|progress/i;

/**
 * MP-SPDZ names that hold an OPEN_WORDS word but neither open nor output anything: layer
 * shapes and quantisation parameters (ml.py), the compiler's memory-order scopes (program.py).
 */
export const HARMLESS = new Set(['output_shape', 'output_squant', 'open_memory_scope', 'close_memory_scope']);

/** Python escape hatches that can reach any opening by a computed name, or run code the audit does not read. */
export const DYNAMIC_ALWAYS = new Set([
  'getattr', 'setattr', 'delattr', 'globals', 'locals', 'vars', '__import__', 'importlib', '__dict__', '__getattribute__', '__getattr__',
  '__setattr__', 'methodcaller', 'attrgetter', '__builtins__', '__builtin__', 'builtins', 'inspect', 'getmembers', 'pickle', 'marshal',
  'FunctionType', 'CodeType', 'ctypes',
]);
/** Only as builtins: `cnn.eval(...)` is MP-SPDZ's model evaluation, `eval(...)` runs code. */
export const DYNAMIC_BUILTIN = new Set(['exec', 'eval', 'compile']);

/** Modules a program or its helpers may import: MP-SPDZ's compiler and pure-Python standard modules. */
export const KNOWN_MODULES = /^(?:Compiler(?:\..*)?|math|fractions|functools|itertools|operator|collections|numbers|random)$/;
