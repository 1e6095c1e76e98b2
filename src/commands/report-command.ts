// `ppvc-dsl report RESULTS.jsonl... [--svg FILE] [--html FILE] [--pipeline NAME]`: the result
// records `ppvc-dsl run --results FILE` appends, as a cost breakdown per stage and per CNN layer
// (time, data sent, rounds; compile.py's estimates beside the measurements): a table on the
// terminal, and a self-contained SVG chart or HTML page. Runs of the same pipeline under other
// protocols or program styles are shown side by side. Registered in cli.ts
// (COMMANDS).
import { existsSync, statSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { UserError } from '../diagnostics.js';
import { missingPathMessage, readRegularFile, writeFileAtomic } from '../util/files.js';
import { buildReports, parseResultsJsonl, type PipelineReport } from '../report/model.js';
import { renderTables } from '../report/table.js';
import { renderSvg } from '../report/svg.js';
import { renderHtml } from '../report/html.js';
import type { ResultRecord } from '../backend/run-pipeline.js';

export interface ReportArgs {
  results: string[];
  svg?: string;
  html?: string;
  pipeline?: string;
  json?: boolean;
}

export function readResults(paths: string[]): ResultRecord[] {
  const records: ResultRecord[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new UserError(missingPathMessage(path));
    if (statSync(path).isDirectory()) throw new UserError(`${path}: is a directory, expected JSON lines of 'ppvc-dsl run --results FILE'`);
    records.push(...parseResultsJsonl(readRegularFile(path).toString('utf8'), path));
  }
  return records;
}

function jsonReport(reports: PipelineReport[]): unknown {
  return reports.map((r) => ({
    pipeline: r.pipeline,
    notes: r.notes,
    stages: r.stages,
    layers: r.layers,
    runs: r.runs.map((run) => ({
      label: run.label,
      protocol: run.protocol,
      style: run.style ?? null,
      styleInferred: run.styleInferred,
      date: run.date,
      revealed: run.label0 ?? null,
      baseline: r.baselineOf.get(run)?.label ?? null,
      party0: run.party0,
      wallSeconds: run.wallSeconds,
      globalMB: run.globalMB ?? null,
      maxRounds: run.maxRounds ?? null,
      estimate: run.estimate,
      stages: Object.fromEntries(run.stages),
      // party 0's totals minus its stages: stages + outsideStages = party0 (up to MP-SPDZ's 6 digits)
      outsideStages: run.outside,
      layers: Object.fromEntries(run.layers),
    })),
  }));
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <results..>',
  describe: "cost breakdown (time, data sent, rounds per stage and per CNN layer) of the result records of 'run --results'; --svg/--html draw it",
  builder: (y: Argv<object>) =>
    y
      .positional('results', { type: 'string', array: true, demandOption: true, describe: "JSON lines files written by 'ppvc-dsl run --results FILE'" })
      .option('svg', { type: 'string', describe: 'write a self-contained SVG chart here' })
      .option('html', { type: 'string', describe: 'write a self-contained HTML page (chart and tables) here' })
      .option('pipeline', { type: 'string', describe: 'only the records of this pipeline' }) as unknown as Argv<ReportArgs>,
  handler: (a) => {
    let records = readResults(a.results.map(String));
    if (a.pipeline) {
      const names = [...new Set(records.map((r) => r.pipeline))];
      records = records.filter((r) => r.pipeline === a.pipeline);
      if (records.length === 0) throw new UserError(`--pipeline ${a.pipeline}: no records of that pipeline (the files have ${names.join(', ')})`);
    }
    const reports = buildReports(records);
    const source = a.results.join(', ');
    const written: string[] = [];
    if (a.svg) {
      writeFileAtomic(a.svg, renderSvg(reports, { source }));
      written.push(a.svg);
    }
    if (a.html) {
      writeFileAtomic(a.html, renderHtml(reports, { source }));
      written.push(a.html);
    }
    if (a.json) {
      process.stdout.write(JSON.stringify({ ok: true, written, reports: jsonReport(reports) }, null, 2) + '\n');
      return;
    }
    process.stdout.write(renderTables(reports));
    for (const w of written) process.stderr.write(`wrote ${w}\n`);
  },
};
