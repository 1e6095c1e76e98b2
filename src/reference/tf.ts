// Loads TensorFlow.js once: the WebAssembly backend (the choice: float32, no native
// download), falling back to the pure-JS CPU backend if WebAssembly cannot start. A user's
// @tensorflow/tfjs-node is used when it is installed.
import * as tf from '@tensorflow/tfjs-core';

let ready: Promise<typeof tf> | undefined;
let backendName = 'unset';

export function loadTf(): Promise<typeof tf> {
  ready ??= (async () => {
    try {
      const node = '@tensorflow/tfjs-node';
      await import(node);
      if (await tf.setBackend('tensorflow')) {
        backendName = 'tensorflow';
        return tf;
      }
    } catch {
      // not installed: the usual case
    }
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      if (await tf.setBackend('wasm')) {
        backendName = 'wasm';
        return tf;
      }
    } catch {
      // fall through to the CPU backend
    }
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    backendName = 'cpu';
    return tf;
  })();
  return ready;
}

export function tfBackendName(): string {
  return backendName;
}
