// Golden files: the exact outputs of every example. A change to the generated code shows up
// here as a diff. To accept an intended change: UPDATE_GOLDEN=1 npm test -- golden
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT, compileExample, exampleFiles } from './helpers.js';

const update = process.env['UPDATE_GOLDEN'] === '1';

describe.each(exampleFiles())('%s', (example) => {
  const dir = join(ROOT, 'golden', basename(example, '.ppvc'));
  const files = compileExample(example).files;
  if (update) {
    mkdirSync(dir, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  }
  test('golden directory exists with exactly the built files', () => {
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
  });
  test.each(Object.keys(files).sort())('%s is byte-for-byte the golden file', (name) => {
    expect(files[name]).toBe(readFileSync(join(dir, name), 'utf8'));
  });
});
