// Python names for the generated program's layer objects: each layer is a variable named after
// its layer in the pipeline (`conv2d_1 = ml.PpvcConv2d(...)`), so that a researcher reads the
// wiring by name instead of counting list positions. The pipeline's names are free text to
// Python (imported Keras names may hold '-', '/', '.', unicode, or be `class` or `sint`), so
// they are sanitised here: deterministically (the program is byte-for-byte reproducible) and
// uniquely (two layers must never share an object).

/** Python 3 keywords and soft keywords: not assignable, or confusing where they are. */
const PYTHON_KEYWORDS = `
False None True _ and as assert async await break case class continue def del elif else except
finally for from global if import in is lambda match nonlocal not or pass raise return try while
with yield`;

/**
 * Python's builtins (`dir(builtins)`, Python 3.11): the program itself calls some of them
 * (`sum`, `enumerate`, `range`), and shadowing any would confuse its reader.
 */
const PYTHON_BUILTINS = `
ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup BlockingIOError
BrokenPipeError BufferError BytesWarning ChildProcessError ConnectionAbortedError
ConnectionError ConnectionRefusedError ConnectionResetError DeprecationWarning EOFError Ellipsis
EncodingWarning EnvironmentError Exception ExceptionGroup False FileExistsError
FileNotFoundError FloatingPointError FutureWarning GeneratorExit IOError ImportError
ImportWarning IndentationError IndexError InterruptedError IsADirectoryError KeyError
KeyboardInterrupt LookupError MemoryError ModuleNotFoundError NameError None NotADirectoryError
NotImplemented NotImplementedError OSError OverflowError PendingDeprecationWarning
PermissionError ProcessLookupError RecursionError ReferenceError ResourceWarning RuntimeError
RuntimeWarning StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit
TabError TimeoutError True TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError
UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning
ZeroDivisionError __build_class__ __debug__ __doc__ __import__ __loader__ __name__ __package__
__spec__ abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr
classmethod compile complex copyright credits delattr dict dir divmod enumerate eval exec exit
filter float format frozenset getattr globals hasattr hash help hex id input int isinstance
issubclass iter len license list locals map max memoryview min next object oct open ord pow
print property quit range repr reversed round set setattr slice sorted staticmethod str sum
super tuple type vars zip`;

/**
 * The globals MP-SPDZ's compile.py gives every program (Compiler/compilerLib.py build_vars:
 * every instruction, the classes of Compiler.types and Compiler.GC.types, the public
 * functions of Compiler.library, and program, sint, sfix, ...), listed from MP-SPDZ 0.4.2.
 * A layer named `sint` or `for_range` must not replace them.
 */
const MP_SPDZ_GLOBALS = `
AppRcr ArgumentError Array ClientMessageType CompilerError DynamicArray FPDiv IntDiv MPCThread
Matrix MemFix MemFloat MemValue MemoryOverflowError MultiArray Norm PreOR RegisterOverflowError
SubMultiArray TruncPr VectorArray VectorMismatch _arithmetic_register _binary _bit _bitint
_clear _fix _gf2n _int _mem _number _register _sbitintbase _secret _secret_structure _single
_structure _unreduced_squant _vec _vectorizable accept_client_connection acceptclientconnection
active addc addc_class addci addci_class addint addint_class addm addm_class adds adds_class
addsi addsi_class and_ andc andc_class andci andci_class applyshuffle approximate_reciprocal
asm_input asm_input_class asm_open asm_open_class bit bit_class bitdecint bitdecint_class bits
bitsBlock break_loop break_point call_arg call_tape cbit cbitfix cbitfloat cbits cfix cfloat
cgf2n check check_point chunkier_odd_even_merge_sort chunky_odd_even_merge_sort cint
cint_cint_division cisc closeclientconnection cmdlinearg cmdlinearg_class comparison concats
cond_print_plain cond_print_str cond_swap conv2ds convint convint_class convmodp convmodp_class
copy_doc crash dabit dabit_class defaultdict delshuffle digestc digestc_class divc divc_class
divci divci_class divint divint_class do_while dotprods dotprods_class dyn_sbits edabit
edabit_class else_ else_then end_if eqc eqc_class eqzc eqzc_class export fixinput fixinput_class
floatingpoint floatoutput floatoutput_class floordivc floordivc_class for_range
for_range_multithread for_range_opt for_range_opt_multithread for_range_parallel
foreach_enumerate function function_block function_block_with_compile_args function_call_tape
function_tape function_tape_with_compile_args gaddc gaddc_class gaddci gaddci_class gaddm
gaddm_class gadds gadds_class gaddsi gaddsi_class gandc gandc_class gandci gandci_class
gasm_input gasm_input_class gasm_open gasm_open_class gbit gbit_class gbitcom gbitcom_class
gbitdec gbitdec_class gbitgf2ntriple gbitgf2ntriple_class gbittriple gbittriple_class gconvgf2n
gconvgf2n_class gconvint gconvint_class gdivc gdivc_class gdivci gdivci_class gdotprods
gdotprods_class gensecshuffle get_arg get_block get_cmdline_arg get_number_of_players
get_player_id get_program get_tape get_thread_number get_threshold gfloordivc gfloordivc_class
ginput ginputmask ginputmask_class ginverse ginverse_class gldi gldi_class gldmc gldmc_class
gldmci gldmci_class gldms gldms_class gldmsi gldmsi_class gldsi gldsi_class gmatmuls gmatmulsm
gmodc gmodc_class gmodci gmodci_class gmovc gmovc_class gmovs gmovs_class gmulc gmulc_class
gmulci gmulci_class gmulm gmulm_class gmulrs gmuls gmuls_class gmulsi gmulsi_class gnotc
gnotc_class gopen gorc gorc_class gorci gorci_class gprep gprep_class gprint_reg
gprint_reg_class gprint_reg_plain gprint_reg_plain_class gprint_reg_plains graw_output
graw_output_class grawinput grawinput_class greadsharesfromfile greqbl gsecshuffle gshlc
gshlc_class gshlci gshlci_class gshrc gshrc_class gshrci gshrci_class gshrsi gshrsi_class gsqrs
gsqrs_class gsquare gsquare_class gstmc gstmc_class gstmci gstmci_class gstms gstms_class gstmsi
gstmsi_class gsubc gsubc_class gsubcfi gsubcfi_class gsubci gsubci_class gsubml gsubml_class
gsubmr gsubmr_class gsubs gsubs_class gsubsfi gsubsfi_class gsubsi gsubsi_class gtc gtc_class
gtriple gtriple_class guse_prep gwritesharestofile gxorc gxorc_class gxorci gxorci_class if_
if_e if_statement if_then incint init_client_connection initclientconnection inputfix
inputfix_class inputfloat inputfloat_class inputmask inputmask_class inputmaskreg
inputmaskreg_class inputmixed inputmixed_base inputmixed_class inputmixedreg inputpersonal
intbitint intoutput intoutput_class inv2m inv2m_class inverse inverse_class inverse_permutation
is_zero jmp jmpeqz jmpi jmpnz join_tape ldarg ldarg_class ldi ldi_class ldint ldint_class ldmc
ldmc_class ldmci ldmci_class ldmint ldmint_class ldminti ldminti_class ldms ldms_class ldmsi
ldmsi_class ldsi ldsi_class ldtn ldtn_class legendrec legendrec_class listen listen_for_clients
localint longint loopy_chunkier_odd_even_merge_sort loopy_odd_even_merge_sort ltc ltc_class ltzc
ltzc_class make_array map_reduce map_reduce_single map_sum map_sum_opt map_sum_simple
matmul_base matmuls matmuls_class matmulsm matmulsm_class memorize mergesort method_block
method_call_tape modc modc_class modci modci_class movc movc_class movint movint_class movs
movs_class mul_base mulc mulc_class mulci mulci_class mulint mulint_class mulm mulm_class mulrs
mulrs_class muls muls_bak muls_class mulsi mulsi_class multithread not_ notc notc_class nplayers
odd_even_merge odd_even_merge_sort or_ orc orc_class orci orci_class personal personal_base
picks playerid popint popint_class prefixsums prefixsums_class prep prep_class print_both
print_char print_char4 print_float_plain print_float_plain_class print_float_prec
print_float_precision print_int print_ln print_ln_if print_ln_to print_reg print_reg_class
print_reg_plain print_reg_plain_class print_reg_plains print_reg_plains_class print_str
print_str_if privateoutput program pubinput pubinput_class public_input pushint pushint_class
rand rand_class randomfulls randomfulls_class randoms randoms_class range_loop raw_output
raw_output_class rawinput rawinput_class readsharesfromfile readsharesfromfile_class readsocketc
readsocketint readsockets regint reqbl reqbl_class reveal run_tape runtime_error
runtime_error_if sbit sbitfix sbitfixvec sbitint sbitintvec sbits sbitvec secshuffle
secshuffle_class sedabit sedabit_class sendpersonal set_instruction_type sfix sfloat sgf2n
sgf2nfloat sgf2nint sgf2nint32 sgf2nuint sgf2nuint32 shlc shlc_class shlci shlci_class shrc
shrc_class shrci shrci_class shrsi shrsi_class shuffle shuffle_base single_thread_function_tape
sint sint_cint_division sintbit sort sqrs sqrs_class squant squant_params square square_class
starg starg_class start start_grind start_timer stmc stmc_class stmci stmci_class stmint
stmint_class stminti stminti_class stms stms_class stmsi stmsi_class stop stop_grind stop_timer
store_in_mem subc subc_class subcfi subcfi_class subci subci_class subint subint_class subml
subml_class submr submr_class subs subs_class subsfi subsfi_class subsi subsi_class t threshold
time tree_reduce tree_reduce_multithread triple triple_class trunc_pr trunc_pr_class tuplify
two_power unmemorize unreduced_sfix unsplit untuplify use use_edabit use_inp use_matmul use_prep
use_prep_class vaddc vaddci vaddint vaddm vadds vaddsi vandc vandci vasm_input vasm_open vbit
vbitdecint vcmdlinearg vconvint vconvmodp vdabit vdigestc vdivc vdivci vdivint vdotprods
vectorize vedabit veqc veqzc vfixinput vfloatoutput vfloordivc vgaddc vgaddci vgaddm vgadds
vgaddsi vgandc vgandci vgasm_input vgasm_open vgbit vgbitcom vgbitdec vgbitgf2ntriple
vgbittriple vgconvgf2n vgconvint vgdivc vgdivci vgdotprods vgfloordivc vginputmask vginverse
vgldi vgldmc vgldmci vgldms vgldmsi vgldsi vgmodc vgmodci vgmovc vgmovs vgmulc vgmulci vgmulm
vgmuls vgmulsi vgnotc vgopen vgorc vgorci vgprep vgprint_reg vgprint_reg_plain vgraw_output
vgrawinput vgshlc vgshlci vgshrc vgshrci vgshrsi vgsqrs vgsquare vgstmc vgstmci vgstms vgstmsi
vgsubc vgsubcfi vgsubci vgsubml vgsubmr vgsubs vgsubsfi vgsubsi vgtc vgtriple vgxorc vgxorci
vinputfix vinputfloat vinputmask vinputmaskreg vinputmixed vintoutput vinv2m vinverse vldarg
vldi vldint vldmc vldmci vldmint vldminti vldms vldmsi vldsi vldtn vlegendrec vltc vltzc vmodc
vmodci vmovc vmovint vmovs vmulc vmulci vmulint vmulm vmuls vmulsi vnotc vopen vorc vorci
vpopint vprefixsums vprep vprint_float_plain vprint_reg vprint_reg_plain vpubinput vpushint
vrand vrandomfulls vrandoms vraw_output vrawinput vsedabit vshlc vshlci vshrc vshrci vshrsi
vsqrs vsquare vstarg vstmc vstmci vstmint vstminti vstms vstmsi vsubc vsubcfi vsubci vsubint
vsubml vsubmr vsubs vsubsfi vsubsi vtriple vtrunc_pr vxorc vxorci while_do while_loop write_mem
writesharestofile writesharestofile_class writesocketc writesocketint writesockets
writesocketshare xorc xorc_class xorci xorci_class zips`;

/** The names the generated program defines or calls itself (src/emit/mpc-program.ts). */
export const PROGRAM_NAMES: readonly string[] = [
  'ml',
  'N_FRAMES',
  'HEIGHT',
  'WIDTH',
  'CHANNELS',
  'SELECTED',
  'CLASSES',
  'INPUT_BUDGET',
  'PUBLIC_FRAMES',
  'video',
  'selection',
  'frames',
  'frame',
  'layers',
  'cnn',
  'per_frame',
  'logits',
  'per_class',
  'votes_per_frame',
  'aggregate',
  'column',
  'label',
  'i',
  'j',
  'x',
];

const words = (s: string) => s.split(/\s+/).filter((w) => w.length > 0);

/** Every name a layer variable may not take. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([...words(PYTHON_KEYWORDS), ...words(PYTHON_BUILTINS), ...words(MP_SPDZ_GLOBALS), ...PROGRAM_NAMES]);

/** The suffix lowering gives the object of a layer's fused activation (passes/lower-layers.ts). */
const ACTIVATION = ' (activation)';
/** What passes/relu-after-maxpool.ts appends to the ReLU it moves. */
const MOVED = /, moved after [^]*$/;
/** How passes/relu-into-avgpool.ts names the pooling it fuses a ReLU into: `relu + pool`. */
const FUSED = ' + ';

/**
 * The pipeline layer an object stands for, from the description lowering and the passes give it:
 * a ReLU moved after a max pooling is still that ReLU, a pooling with a ReLU fused in is still
 * that pooling. (A layer whose own name has these forms only gets a shorter variable.)
 */
function layerOf(from: string): string {
  const fused = from.lastIndexOf(FUSED);
  return (fused >= 0 ? from.slice(fused + FUSED.length) : from).replace(MOVED, '');
}

const isReserved = (name: string) => RESERVED_NAMES.has(name);

/**
 * A valid, unreserved Python identifier for one layer object, not yet unique:
 *  - named after the pipeline layer it stands for (`layerOf`); `conv (activation)`, the ReLU
 *    lowering splits off a layer, is `conv_relu`;
 *  - accents are dropped (`café` -> `cafe`); every other run of characters a Python identifier
 *    cannot hold in ASCII becomes one `_`, none at either end (`a-b` -> `a_b`, `层1` -> `1`):
 *    Python accepts unicode identifiers but normalises them (NFKC), so two distinct unicode
 *    names could be one variable;
 *  - nothing left but underscores: the layer's kind (`conv2d`); a leading digit, or a leading
 *    `__` (Python's own names such as `__builtins__`): `layer_` before it;
 *  - a keyword, builtin, MP-SPDZ global or a name the program uses: `_layer` after it
 *    (`class` -> `class_layer`, `sint` -> `sint_layer`, `input` -> `input_layer`).
 */
export function pythonName(from: string, kind: string): string {
  const name = layerOf(from);
  const activation = name.endsWith(ACTIVATION);
  const text = activation ? `${name.slice(0, -ACTIVATION.length)}_${kind}` : name;
  const ascii = text.normalize('NFKD').replace(/\p{M}/gu, '');
  let id = ascii
    .split(/[^A-Za-z0-9_]+/)
    .filter((part) => part !== '')
    .join('_');
  if (/^_*$/.test(id)) id = kind;
  if (/^[0-9]/.test(id) || id.startsWith('__')) id = `layer_${id}`;
  while (isReserved(id)) id = `${id}_layer`;
  return id;
}

/**
 * The Python variable of each layer, in order: `pythonName`, and where two layers' names
 * meet (`a_b` and `a-b`), the later one numbered (`a_b_2`), never taking a name another layer
 * has of its own. The same layers always give the same names.
 */
export function layerVariables(layers: readonly { from: string; kind: string }[]): string[] {
  const bases = layers.map((l) => pythonName(l.from, l.kind));
  const own = new Set(bases);
  const taken = new Set<string>();
  return bases.map((base) => {
    let name = base;
    for (let k = 2; taken.has(name) || (name !== base && (own.has(name) || isReserved(name))); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  });
}
