// The cost breakdown as one self-contained HTML page: the SVG chart inline and the exact figures
// as text tables (no scripts, style sheets or fonts from elsewhere).
import type { PipelineReport } from './model.js';
import { esc, renderSvg } from './svg.js';
import { renderTable } from './table.js';

export function renderHtml(reports: PipelineReport[], opts: { source?: string } = {}): string {
  const svg = renderSvg(reports, { source: opts.source });
  const title = `ppvc-dsl cost report: ${reports.map((r) => r.pipeline).join(', ')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { margin: 24px; color: #1f2328; background: #ffffff; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; }
  .chart svg { max-width: 100%; height: auto; }
  pre { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 12px; background: #f6f8fa; padding: 12px; overflow-x: auto; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<div class="chart">
${svg.replace(/^<svg /, '<svg ').trimEnd()}
</div>
<h2>Figures</h2>
${reports.map((r) => `<pre>${esc(renderTable(r)).trimEnd()}</pre>`).join('\n')}
</body>
</html>
`;
}
