// `ppvc-dsl audit FILE`: what it reads and what it prints. A .mpc is audited with the
// ml.py.patch beside it against its own header; a .ppvc with the program and helper code the
// build generates, against the pipeline's `reveal` statements. Exit status 1 on any difference.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BuildArtifacts } from '../compile.js';
import { readText } from './common.js';
import { auditWithHelpers, locationOf, type Audit } from '../audit/audit.js';
import { NEAREST_ROUNDING, mechanismOf, openedForCaveat, wrap } from '../audit/disclosure.js';
import { PROTOCOLS } from '../target/protocols.js';

export interface AuditResult extends Audit {
  /** The file the user named. */
  path: string;
  /** The files read, as named in locations, with what they are. */
  files: { file: string; role: 'program' | 'helpers' }[];
  /** For a .ppvc: the generated files the locations refer to. */
  generated: boolean;
}

/** A generated program (.mpc), with the ml.py.patch beside it if there is one. */
export function auditMpcFile(path: string, text: string): AuditResult {
  const program = { file: path, text };
  const patchPath = join(dirname(path), 'ml.py.patch');
  const helpers = existsSync(patchPath) ? { file: patchPath, text: readText(patchPath, 'the helper code ml.py.patch').text } : undefined;
  const audit = auditWithHelpers({ program, helpers, helpersLookedFor: patchPath });
  return { ...audit, path, generated: false, files: [{ file: program.file, role: 'program' }, ...(helpers ? [{ file: helpers.file, role: 'helpers' as const }] : [])] };
}

/** The program and helper code a pipeline generates, against its `reveal` statements. */
export function auditBuild(path: string, artifacts: BuildArtifacts): AuditResult {
  const p = artifacts.pipeline;
  const program = { file: `${p.name}.mpc (generated from ${path})`, text: artifacts.program };
  const helpers = artifacts.mlPatch ? { file: `ml.py.patch (generated from ${path})`, text: artifacts.mlPatch } : undefined;
  const declared = { outputs: p.reveals.map((x) => ({ name: x.name, to: x.to.map((t) => t.id) })), by: `the reveal statements of ${path}` };
  const truncation = { kind: p.target.truncation, mechanism: mechanismOf(PROTOCOLS[p.target.protocol]), opened: openedForCaveat(p) };
  const audit = auditWithHelpers({ program, helpers, helpersLookedFor: 'generated helper code', declared, truncation });
  return { ...audit, path, generated: true, files: [{ file: program.file, role: 'program' }, ...(helpers ? [{ file: helpers.file, role: 'helpers' as const }] : [])] };
}

const whom = (r: number | 'all') => (r === 'all' ? 'ALL parties' : `party ${r}`);

export function formatAudit(r: AuditResult): string {
  const out: string[] = [];
  out.push(`${r.path}: ${r.opens.length} opened value(s), ${r.inputs.length} input(s)`);
  for (const f of r.files) out.push(`  ${f.role === 'helpers' ? 'helper code:' : 'program:    '} ${f.file}`);
  if (!r.files.some((f) => f.role === 'helpers')) out.push(`  helper code: none${r.generated ? '' : ` (no ml.py.patch beside ${r.path})`}`);
  if (r.generated) out.push('  (generated as `ppvc-dsl build` writes them: the line numbers below are in those files)');
  const declared = r.declared.length ? r.declared.map((d) => `${d.name} -> ${d.to.map((t) => `party ${t}`).join(', ')}`).join('; ') : 'nothing';
  out.push(`  declared outputs: ${declared} (by ${r.declaredBy})`);
  for (const o of r.opens) {
    const inside = o.role === 'helpers' ? ` [helper code${o.in ? `, in ${o.in}` : ''}]` : '';
    out.push(`  opens  ${locationOf(o)}: ${o.label ?? o.expression} -> ${whom(o.recipient)}  (${o.expression})${inside}`);
  }
  for (const i of r.inputs) out.push(`  input  ${locationOf(i)}: ${i.what} (${i.type}) <- ${i.party < 0 ? 'unknown source' : `party ${i.party}`}`);
  const t = r.truncation;
  out.push(`  truncation: ${t.rounding}${t.rounding === 'probabilistic' ? (t.oneRound ? ' (program.use_trunc_pr = True: the one-round trunc_pr where the protocol has one)' : ' (MP-SPDZ\'s TruncPrRing)') : ''}: ${t.because}`);
  out.push(...wrap(r.caveat ? `caveat: ${r.caveat}` : `rounding: ${NEAREST_ROUNDING}`, '  ', '    '));
  if (r.verdict.ok) {
    const opened = r.declared.length ? r.declared.map((d) => `${d.name} -> ${d.to.map((t) => `party ${t}`).join(', ')}`).join('; ') : 'nothing';
    out.push(`reveals ${opened}, and nothing else${r.caveat ? ' (see the caveat)' : ''}`);
  }
  out.push(r.verdict.ok ? 'matches the declared outputs exactly' : `DOES NOT match the declared outputs:\n${r.verdict.problems.map((x) => `  ${x}`).join('\n')}`);
  return out.join('\n') + '\n';
}

/** The --json form: the report, what was read and declared, and the verdict. */
export function auditJson(r: AuditResult): string {
  const { path, files, generated, inputs, opens, problems, declared, declaredBy, helpersUsed, truncation, caveat, verdict } = r;
  return JSON.stringify({ path, files, generated, opens, inputs, problems, declared, declaredBy, helpersUsed, truncation, ...(caveat ? { caveat } : {}), verdict }, null, 2) + '\n';
}
