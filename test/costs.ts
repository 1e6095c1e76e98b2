// The cost budget of the generated programs (test/costs/budget.json): per example and protocol,
// compile.py's VM rounds and expected MB, and the data party 0 sent and the rounds of a real run.
// A figure above its budget (beyond the tolerance) fails the test that measured it, naming the
// old and new figures; a figure below says so and asks for the budget to be lowered on purpose
// (PPVC_UPDATE_COSTS=1 writes the measured figures). Every checked figure goes to
// out/test-costs.jsonl, which test/summary-reporter.cjs prints as the cost table.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const COST_FIGURES = ['vmRounds', 'expectedMB', 'dataSentMB', 'rounds'] as const;
export type CostFigure = (typeof COST_FIGURES)[number];
export type Costs = Partial<Record<CostFigure, number>>;

interface Budget {
  measuredOn: string;
  /** Relative slack per figure; rounds also get an absolute slack of 2. */
  tolerance: Record<CostFigure, number>;
  budgets: Record<string, Costs>;
}

const BUDGET_PATH = join(ROOT, 'test', 'costs', 'budget.json');
export const COST_LOG = join(ROOT, 'out', 'test-costs.jsonl');

function readBudget(): Budget {
  return JSON.parse(readFileSync(BUDGET_PATH, 'utf8')) as Budget;
}

/** The figures of `key` against the budget: what rose beyond tolerance (the failures) and what fell. */
export function compareCosts(key: string, measured: Costs, budget: Budget = readBudget()): { rose: string[]; fell: string[] } {
  const own = budget.budgets[key];
  if (!own) return { rose: [`${key}: no cost budget (PPVC_UPDATE_COSTS=1 records one)`], fell: [] };
  const rose: string[] = [];
  const fell: string[] = [];
  for (const f of COST_FIGURES) {
    const was = own[f];
    const now = measured[f];
    if (was === undefined || now === undefined) continue;
    const slack = was * budget.tolerance[f] + (f === 'rounds' || f === 'vmRounds' ? 2 : 0.01);
    if (now > was + slack) rose.push(`${key}: ${f} rose from ${was} to ${now} (budget +${(budget.tolerance[f] * 100).toFixed(0)}%)`);
    else if (now < was - slack) fell.push(`${key}: ${f} fell from ${was} to ${now}`);
  }
  return { rose, fell };
}

/** Checks `measured` against the budget (see the file's header); call from a test. */
export function expectWithinBudget(key: string, measured: Costs, mpSpdz: string): void {
  mkdirSync(join(ROOT, 'out'), { recursive: true });
  appendFileSync(COST_LOG, JSON.stringify({ key, ...measured, mpSpdz }) + '\n');
  const budget = readBudget();
  if (process.env['PPVC_UPDATE_COSTS'] === '1') {
    budget.budgets[key] = { ...budget.budgets[key], ...measured };
    budget.measuredOn = mpSpdz;
    writeFileSync(BUDGET_PATH, JSON.stringify(sortedBudget(budget), null, 2) + '\n');
    return;
  }
  const { rose, fell } = compareCosts(key, measured, budget);
  for (const f of fell) console.log(`cost fell: ${f}; lower the budget on purpose: PPVC_UPDATE_COSTS=1 npm test`);
  if (rose.length > 0) throw new Error(`cost budget exceeded (test/costs/budget.json, measured on ${budget.measuredOn}; here ${mpSpdz}):\n${rose.join('\n')}`);
}

function sortedBudget(b: Budget): Budget {
  return { ...b, budgets: Object.fromEntries(Object.entries(b.budgets).sort(([x], [y]) => x.localeCompare(y))) };
}
