// Pass: fold a batch normalisation into the linear layer before it (conv2d, depthwise_conv2d,
// dense without activation, read by nothing else). The model owner scales the kernel and bias
// in the clear (export-weights), and the program saves a secret multiplication per value.
// A batch normalisation that cannot be folded stays a per-channel affine layer.
import type { Layer } from '../ir/pipeline.js';

export function foldBatchnorm(layers: Layer[]): Layer[] {
  const consumers = new Map<string, number>();
  for (const l of layers) for (const i of l.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const renamed = new Map<string, string>();
  const out: Layer[] = [];
  /** Output position of each layer kept so far. */
  const at = new Map<string, number>();
  for (const l of layers) {
    const producer = l.op === 'batchnorm' && at.has(l.inputs[0]!) ? out[at.get(l.inputs[0]!)!] : undefined;
    if (
      l.op === 'batchnorm' &&
      producer &&
      (producer.op === 'conv2d' || producer.op === 'depthwise_conv2d' || producer.op === 'dense') &&
      producer.activation === 'linear' &&
      !producer.folded &&
      consumers.get(producer.name) === 1
    ) {
      out[at.get(producer.name)!] = { ...producer, useBias: true, folded: { name: l.name, epsilon: l.epsilon } };
      renamed.set(l.name, producer.name);
      continue;
    }
    at.set(l.name, out.length);
    out.push(renamed.size ? { ...l, inputs: l.inputs.map((i) => renamed.get(i) ?? i) } : l);
  }
  return out;
}
