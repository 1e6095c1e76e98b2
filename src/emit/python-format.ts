// Formats generated Python with Ruff (compiled to WebAssembly, offline, deterministic).
import { format } from '@wasm-fmt/ruff_fmt';

export function formatPython(code: string): string {
  return format(code, undefined, { line_width: 100, quote_style: 'double', indent_width: 4 });
}
