// The cost breakdown as terminal tables: one column per run (protocol over style), totals with
// compile.py's estimates, then time, data and rounds per stage and per CNN layer. `*` marks the
// largest stage / layer of each run; `÷N` / `×N` compare a run with the seed-style baseline of
// its protocol.
import { METRICS, type MetricKey, type PipelineReport, type Run, formatValue, ratio } from './model.js';

interface Row {
  label: string;
  cells: string[];
}

function renderBlock(title: string, runs: Run[], rows: Row[], labelWidth: number): string[] {
  const widths = runs.map((r, i) => Math.max(r.protocol.length, (r.style ?? '?').length, ...rows.map((row) => row.cells[i]!.length)) + 2);
  const out: string[] = [];
  const pad = (s: string, w: number) => s.padStart(w);
  if (title) out.push(title);
  for (const row of rows) out.push(row.label.padEnd(labelWidth) + row.cells.map((c, i) => pad(c, widths[i]!)).join(''));
  return out;
}

function header(runs: Run[], labelWidth: number, rows: Row[]): string[] {
  const widths = runs.map((r, i) => Math.max(r.protocol.length, (r.style ?? '?').length, ...rows.map((row) => row.cells[i]!.length)) + 2);
  return [
    ''.padEnd(labelWidth) + runs.map((r, i) => r.protocol.padStart(widths[i]!)).join(''),
    ''.padEnd(labelWidth) + runs.map((r, i) => `${r.style ?? '?'}${r.styleInferred && r.style ? '' : ''}`.padStart(widths[i]!)).join(''),
  ];
}

export function renderTable(report: PipelineReport): string {
  const { runs } = report;
  const out: string[] = [];
  const mp = runs[0]?.record.mpSpdz;
  const labels = [...new Set(runs.map((r) => r.label0 ?? '?'))];
  out.push(`${report.pipeline}: ${runs.length} run${runs.length === 1 ? '' : 's'}${mp ? `, MP-SPDZ ${mp.version}` : ''}; revealed label ${labels.join(' / ')}`);
  out.push('');

  const cmp = (run: Run, v: number | undefined, base: number | undefined) => {
    const b = report.baselineOf.get(run);
    const q = b ? ratio(v, base) : undefined;
    return `${q ? `${q} ` : ''}`;
  };
  const totals: Row[] = [
    {
      label: 'time, party 0 (s)',
      cells: runs.map((r) => cmp(r, r.party0.seconds, report.baselineOf.get(r)?.party0.seconds) + formatValue(r.party0.seconds)),
    },
    { label: 'wall time (s)', cells: runs.map((r) => formatValue(r.wallSeconds)) },
    { label: 'data sent, all parties (MB)', cells: runs.map((r) => cmp(r, r.globalMB, report.baselineOf.get(r)?.globalMB) + formatValue(r.globalMB)) },
    { label: '  compile.py: online (MB)', cells: runs.map((r) => formatValue(r.estimate.onlineMB)) },
    { label: '  compile.py: offline (MB)', cells: runs.map((r) => formatValue(r.estimate.offlineMB)) },
    { label: 'data sent, party 0 (MB)', cells: runs.map((r) => formatValue(r.party0.mb)) },
    { label: 'rounds, party 0', cells: runs.map((r) => cmp(r, r.party0.rounds, report.baselineOf.get(r)?.party0.rounds) + formatValue(r.party0.rounds, 'rounds')) },
    { label: '  compile.py: VM rounds', cells: runs.map((r) => formatValue(r.estimate.vmRounds, 'rounds')) },
  ];
  const section = (names: string[], get: (r: Run, name: string) => number | undefined, key: MetricKey): Row[] => {
    const maxOf = new Map<Run, number>();
    for (const r of runs) maxOf.set(r, Math.max(0, ...names.map((n) => get(r, n) ?? 0)));
    return names.map((n) => ({
      label: `  ${n}`,
      cells: runs.map((r) => {
        const v = get(r, n);
        if (v === undefined) return '–';
        const top = v > 0 && v === maxOf.get(r) ? '*' : ' ';
        return formatValue(v, key) + top;
      }),
    }));
  };
  const stageRows: { title: string; rows: Row[] }[] = METRICS.map((m) => ({
    title: `${m.title} per stage${m.unit ? ` (${m.unit})` : ''}, party 0`,
    rows: section(report.stages, (r, n) => r.stages.get(n)?.[m.key], m.key),
  }));
  const layerRows: { title: string; rows: Row[] }[] = METRICS.map((m) => ({
    title: `${m.title} per CNN layer${m.unit ? ` (${m.unit})` : ''}, party 0`,
    rows: section(report.layers, (r, n) => r.layers.get(n)?.[m.key], m.key),
  }));
  const allRows = [...totals, ...stageRows.flatMap((s) => s.rows), ...layerRows.flatMap((s) => s.rows)];
  const labelWidth = Math.max(...allRows.map((r) => r.label.length), 20) + 1;
  // one set of column widths for every block, so the columns line up down the page
  const blockRows = allRows;
  out.push(...header(runs, labelWidth, blockRows));
  const all = (title: string, rows: Row[]) => {
    const widths = runs.map((r, i) => Math.max(r.protocol.length, (r.style ?? '?').length, ...blockRows.map((row) => row.cells[i]!.length)) + 2);
    if (title) out.push(title);
    for (const row of rows) out.push(row.label.padEnd(labelWidth) + row.cells.map((c, i) => c.padStart(widths[i]!)).join(''));
  };
  all('', totals);
  for (const s of stageRows) {
    out.push('');
    all(s.title, s.rows);
  }
  if (report.layers.length > 0) {
    for (const s of layerRows) {
      out.push('');
      all(s.title, s.rows);
    }
  }
  out.push('');
  out.push('* the largest stage / layer of the run;  ÷N / ×N: N times less / more than the seed style under the same protocol');
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

export { renderBlock };
