// Every file under test/should-fail/ must be rejected with the error its first line names,
// at the location it names: `# expect: LINE:COL: message`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, checkText } from './helpers.js';
import { formatDiagnostic } from '../src/diagnostics.js';

const dir = join(ROOT, 'test', 'should-fail');
const files = readdirSync(dir).filter((f) => f.endsWith('.ppvc')).sort();

test('there are at least 20 should-fail files', () => {
  expect(files.length).toBeGreaterThanOrEqual(20);
});

describe.each(files)('%s', (name) => {
  const text = readFileSync(join(dir, name), 'utf8');
  const m = /^# expect: (\d+):(\d+): (.+)$/m.exec(text.split('\n')[0]!);
  test('names its expected error and location on the first line', () => expect(m).not.toBeNull());
  test('fails with that error at that location', () => {
    const [, line, col, message] = m!;
    const r = checkText(text, `test/should-fail/${name}`);
    expect(r.pipeline).toBeUndefined();
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    const hit = errors.find((d) => d.message.includes(message!));
    expect(hit ? `${hit.span?.line}:${hit.span?.col}: ${message}` : errors.map(formatDiagnostic).join('\n')).toBe(`${line}:${col}: ${message}`);
  });
});
