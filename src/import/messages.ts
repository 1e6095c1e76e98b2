// Diagnostics for imported model files. Model files have no spans we could point into
// (JSON is often single-line or double-encoded), so every message names the file and, for
// layer problems, the layer and its class.
import { type Diagnostic, errorAt } from '../diagnostics.js';

export function fileError(file: string, message: string, hints?: string[]): Diagnostic {
  return errorAt(undefined, `${file}: ${message}`, hints ? { hints } : {});
}

export function layerError(file: string, layer: string, className: string, message: string, hints?: string[]): Diagnostic {
  return errorAt(undefined, `${file}: layer '${layer}' (${className}): ${message}`, hints ? { hints } : {});
}
