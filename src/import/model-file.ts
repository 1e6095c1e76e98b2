// The seam for model files referenced as `model NAME by PARTY from "file"`. Importers for
// Keras JSON/.h5 and TF.js models plug in here and return checked IR layers.
import { type Diagnostic, type SourceFile, type Span, errorAt } from '../diagnostics.js';
import type { Atom } from '../syntax/ast.js';
import type { Layer, Shape } from '../ir/pipeline.js';

export function loadModelFile(
  _from: SourceFile,
  path: string,
  span: Span,
  _options: Atom[],
  _inputShape: Shape,
  diags: Diagnostic[],
): Layer[] | undefined {
  diags.push(
    errorAt(span, `cannot read model file '${path}': importing model files is not supported by this version of ppvc-dsl`, {
      hints: ['write the layer stack inline: model NAME by PARTY { conv2d ... }'],
    }),
  );
  return undefined;
}
