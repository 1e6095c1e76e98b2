// The cost breakdown as terminal tables: one column per run (protocol over style), totals with
// compile.py's estimates, then time, data and rounds per stage and per CNN layer. `*` marks the
// largest stage / layer of each run; `÷N` / `×N` compare a run with the seed-style baseline of
// its protocol. Each stage block ends with what lies outside the stages and party 0's total, so
// that its rows add up to the total printed above.
import { METRICS, OUTSIDE_NOTE, OUTSIDE_TITLE, type MetricKey, type PipelineReport, type Run, formatValue, ratio, stagesTotal } from './model.js';

interface Row {
  label: string;
  cells: string[];
}

export function renderTable(report: PipelineReport): string {
  const { runs } = report;
  const mp = runs[0]?.record.mpSpdz;
  const labels = [...new Set(runs.map((r) => r.label0 ?? '?'))];

  const vsBase = (run: Run, v: number | undefined, pick: (b: Run) => number | undefined) => {
    const b = report.baselineOf.get(run);
    const q = b ? ratio(v, pick(b)) : undefined;
    return q ? `${q} ` : '';
  };
  const totals: Row[] = [
    { label: 'time, party 0 (s)', cells: runs.map((r) => vsBase(r, r.party0.seconds, (b) => b.party0.seconds) + formatValue(r.party0.seconds)) },
    { label: 'wall time (s)', cells: runs.map((r) => formatValue(r.wallSeconds)) },
    { label: 'data sent, all parties (MB)', cells: runs.map((r) => vsBase(r, r.globalMB, (b) => b.globalMB) + formatValue(r.globalMB)) },
    { label: '  compile.py: online (MB)', cells: runs.map((r) => formatValue(r.estimate.onlineMB)) },
    { label: '  compile.py: offline (MB)', cells: runs.map((r) => formatValue(r.estimate.offlineMB)) },
    { label: 'data sent, party 0 (MB)', cells: runs.map((r) => formatValue(r.party0.mb)) },
    { label: 'rounds, party 0', cells: runs.map((r) => vsBase(r, r.party0.rounds, (b) => b.party0.rounds) + formatValue(r.party0.rounds, 'rounds')) },
    { label: '  compile.py: VM rounds', cells: runs.map((r) => formatValue(r.estimate.vmRounds, 'rounds')) },
  ];
  const breakdown = (names: string[], get: (r: Run, name: string) => number | undefined, key: MetricKey): Row[] => {
    // the largest, when one stage / layer alone is the largest
    const top = new Map(
      runs.map((r) => {
        const values = names.map((n) => get(r, n) ?? 0);
        const max = Math.max(0, ...values);
        return [r, values.filter((v) => v === max).length === 1 ? max : NaN];
      }),
    );
    return names.map((n) => ({
      label: `  ${n}`,
      cells: runs.map((r) => {
        const v = get(r, n);
        if (v === undefined) return '– ';
        return formatValue(v, key) + (v > 0 && v === top.get(r) ? '*' : ' ');
      }),
    }));
  };
  const blocks: { title: string; rows: Row[] }[] = [{ title: '', rows: totals }];
  for (const m of METRICS) {
    const rows = [...breakdown(report.stages, (r, n) => r.stages.get(n)?.[m.key], m.key), ...completion(runs, m.key)];
    blocks.push({ title: `${m.title} per stage${m.unit ? ` (${m.unit})` : ''}, party 0`, rows });
  }
  if (report.layers.length > 0) {
    for (const m of METRICS) {
      blocks.push({ title: `${m.title} per CNN layer${m.unit ? ` (${m.unit})` : ''}, party 0`, rows: breakdown(report.layers, (r, n) => r.layers.get(n)?.[m.key], m.key) });
    }
  }

  // one set of column widths for every block, so that the columns line up down the page
  const rows = blocks.flatMap((b) => b.rows);
  const labelWidth = Math.max(...rows.map((r) => r.label.length)) + 1;
  const widths = runs.map((r, i) => Math.max(r.protocol.length, (r.style ?? '?').length + 1, ...rows.map((row) => row.cells[i]!.length)) + 2);
  const line = (label: string, cells: string[]) => (label.padEnd(labelWidth) + cells.map((c, i) => c.padStart(widths[i]!)).join('')).replace(/\s+$/, '');

  const out: string[] = [];
  out.push(`${report.pipeline}: ${runs.length} run${runs.length === 1 ? '' : 's'}${mp ? `, MP-SPDZ ${mp.version}` : ''}; revealed label ${labels.join(' / ')}`);
  out.push('');
  out.push(line('', runs.map((r) => r.protocol)));
  out.push(line('', runs.map((r) => `${r.style ?? '?'} `)));
  for (const b of blocks) {
    if (b.title) out.push('', b.title);
    for (const row of b.rows) out.push(line(row.label, b === blocks[0] ? row.cells.map((c) => `${c} `) : row.cells));
  }
  out.push('');
  out.push('*: the largest stage / layer of the run (when one alone is).  ÷N / ×N: N times less / more than the seed style under the same protocol.');
  out.push(...wrap(OUTSIDE_NOTE, 110));
  for (const n of report.notes) out.push(`note: ${n}`);
  return out.join('\n') + '\n';
}

/** Words into lines of at most `width` characters (the table's own width on a wide terminal). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The rows that complete a stage block: outside the stages, then the total they add up to. */
function completion(runs: Run[], key: MetricKey): Row[] {
  return [
    { label: `  ${OUTSIDE_TITLE}`, cells: runs.map((r) => `${formatValue(r.outside[key], key)} `) },
    { label: '  total', cells: runs.map((r) => `${formatValue(stagesTotal(r, key), key)} `) },
  ];
}

export function renderTables(reports: PipelineReport[]): string {
  return reports.map(renderTable).join('\n');
}
