// Prints what Jest's default reporter leaves out: every skipped test grouped by the reason in
// its title ("[skipped: …]", see skipUnless in test/helpers.ts), so a skip is seen where the
// output is read; then the suite's result as one plain closing line ("tests: N passed, N
// failed, N skipped"), which CI systems that do not parse Jest's own summary can read.
const { existsSync, readFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const FIGURES = ['vmRounds', 'expectedMB', 'dataSentMB', 'rounds'];

/** The figures test/costs.ts checked in this run, each beside its budget. */
function costTable(root) {
  const log = join(root, 'out', 'test-costs.jsonl');
  if (!existsSync(log)) return '';
  const budgets = JSON.parse(readFileSync(join(root, 'test', 'costs', 'budget.json'), 'utf8')).budgets;
  const rows = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const cell = (now, was) => (now === undefined ? '-' : was === undefined || was === now ? String(now) : `${now} (budget ${was})`);
  const table = [['program, protocol', ...FIGURES], ...rows.map((r) => [r.key, ...FIGURES.map((f) => cell(r[f], budgets[r.key]?.[f]))])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = table.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  return `\nCosts of the generated programs (MP-SPDZ ${rows[0].mpSpdz}; budgets: test/costs/budget.json):\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

const REASON = /\[skipped: (.*)\]\s*$/;

class SummaryReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const byReason = new Map();
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        if (t.status !== 'pending' && t.status !== 'todo') continue;
        const titles = [...t.ancestorTitles, t.title];
        const reason = titles.map((x) => REASON.exec(x)?.[1]).find(Boolean) ?? 'no reason stated';
        const entry = byReason.get(reason) ?? { count: 0, files: new Set() };
        entry.count++;
        entry.files.add(relative(this.root, file.testFilePath));
        byReason.set(reason, entry);
      }
    }
    process.stdout.write(costTable(this.root));
    if (byReason.size > 0) {
      process.stdout.write('\nSkipped tests, by reason:\n');
      for (const [reason, { count, files }] of byReason) {
        process.stdout.write(`  SKIPPED ${count} test${count === 1 ? '' : 's'} (${[...files].join(', ')}): ${reason}\n`);
      }
    }
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests + results.numTodoTests} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
