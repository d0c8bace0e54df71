/**
 * The README is the newcomer's path, so what it states is checked against what the code does: the
 * two first commands, the outcome reasons, the Azure actions, the links, and the sample outputs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { operationName } from '../../src/azure/arm.js';
import { FAIL_REASONS, SKIP_REASONS } from '../../src/model/cluster.js';
import { ROOT } from '../fixtures/paths.js';
import { runCli } from '../support/cli.js';

const readme = readFileSync(`${ROOT}README.md`, 'utf8');

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const body = text.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, 'm').exec(body);
  return next ? body.slice(0, next.index) : body;
}

/** The rows of the first Markdown table in `text`, as trimmed cells, without the header and rule. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = (m[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Headings inside fenced code blocks are not headings. */
const outsideCode = (markdown: string): string => markdown.replace(/^```[\s\S]*?^```/gm, '');

describe('README architecture', () => {
  it('names every folder of src/, and only folders that exist', () => {
    const block = /## Architecture[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const listed = [...block.matchAll(/^src\/([\w-]+)\//gm)].map((m) => m[1]).sort();
    const folders = readdirSync(`${ROOT}src`, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(listed).toEqual(folders);
  });
});

describe('README: the two first commands', () => {
  it('opens with the demo and the tests, and both are npm scripts', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(
      first
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('#')[0]?.trim()),
    ).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
    const scripts = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['demo']).toBeTruthy();
    expect(scripts['test']).toBeTruthy();
  });
});

describe('README: troubleshooting', () => {
  const rows = tableRows(section(readme, '## 5. Troubleshooting: one row per outcome reason'));

  it('has exactly one row per skip and fail reason of the model, and no row for a reason it lacks', () => {
    const documented = rows.map(([outcome, reason]) => `${outcome} ${reason?.replace(/`/g, '')}`).sort();
    const model = [...SKIP_REASONS.map((r) => `skipped ${r}`), ...FAIL_REASONS.map((r) => `failed ${r}`)].sort();
    expect(documented).toEqual(model);
  });

  it('says for every reason what it means and how to fix it', () => {
    for (const [outcome, reason, meaning, fix] of rows) {
      expect(rows.find((r) => r[1] === reason)?.length, `${outcome} ${reason}`).toBe(4);
      expect(meaning?.length ?? 0, `${reason}: what it means`).toBeGreaterThan(20);
      expect(fix?.length ?? 0, `${reason}: how to fix it`).toBeGreaterThan(5);
    }
  });
});

describe('README: the exact permissions', () => {
  const text = section(readme, '### The exact permissions');
  const bicep = readFileSync(`${ROOT}infra/scanner-role.bicep`, 'utf8');
  const roleActions = [...(/var scannerActions = \[([\s\S]*?)\]/.exec(bicep)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();

  it('lists exactly the actions of the custom role in infra/scanner-role.bicep', () => {
    expect(roleActions.length).toBeGreaterThan(0);
    const listed = (/```\n([\s\S]*?)```/.exec(text)?.[1] ?? '').split('\n').filter(Boolean).sort();
    expect(listed).toEqual(roleActions);
  });

  it('maps every ARM call it names to one of those actions, and uses each action', () => {
    const cells = tableRows(text).map((r) => r[3] ?? '');
    const named = cells.flatMap((c) => [...c.matchAll(/`(Microsoft\.[^`]+)`/g)].map((m) => m[1]));
    for (const a of named) expect(roleActions).toContain(a);
    expect([...new Set(named)].sort()).toEqual(roleActions);
  });

  it('names each ARM request as the scan’s own ARM counts do', () => {
    const rows = tableRows(text);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [, request, counted] of rows) {
      const [method, path] = (request ?? '').replace(/`/g, '').split(' ');
      const url = `https://management.azure.com${(path ?? '')
        .replace('…', '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService')
        .replace(/\{[^}]+\}/g, 'x')}`;
      expect(operationName(method ?? '', url), request).toBe(counted?.replace(/`/g, ''));
    }
  });

  it('names the Kubernetes RBAC of infra/kubernetes/aksfs-scanner-rbac.yaml, verb by verb', () => {
    type Rule = { resources: string[]; verbs: string[] };
    const docs = readFileSync(`${ROOT}infra/kubernetes/aksfs-scanner-rbac.yaml`, 'utf8')
      .split(/^---$/m)
      .map((d) => parseYaml(d) as { kind?: string; rules?: Rule[] });
    const rules = docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole').flatMap((d) => d.rules ?? []);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const resource of rule.resources) expect(text, resource).toContain(`\`${resource}\` ${rule.verbs.join('/')}`);
    }
  });
});

describe('README: links', () => {
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
  /** The dashboard lane's screenshot script writes these (cross-lane contract); they appear with it. */
  const SCREENSHOTS = ['fleet', 'cluster', 'topic', 'runs', 'waivers'].map((v) => `docs/screenshots/${v}.png`);

  it('every heading anchor it links to exists, in README and in infra/README.md', () => {
    const own = anchors(outsideCode(readme));
    const infra = anchors(outsideCode(readFileSync(`${ROOT}infra/README.md`, 'utf8')));
    for (const l of links.filter((x) => x.startsWith('#'))) expect(own, l).toContain(l.slice(1));
    for (const l of links.filter((x) => x.startsWith('infra/README.md#'))) expect(infra, l).toContain(l.split('#')[1]);
  });

  it('every file it links to exists; the screenshots once the script that makes them does', () => {
    const files = links.filter((l) => !/^(#|https?:|mailto:)/.test(l)).map((l) => l.split('#')[0] ?? '');
    expect(files.filter((f) => f.startsWith('docs/screenshots/')).sort()).toEqual([...SCREENSHOTS].sort());
    const screenshotsMade = existsSync(`${ROOT}scripts/screenshots.mjs`);
    for (const f of files) {
      if (SCREENSHOTS.includes(f) && !screenshotsMade) continue;
      expect(existsSync(`${ROOT}${f}`), f).toBe(true);
    }
  });
});

describe('README: what it shows is what the commands do', () => {
  it('the sed line turns kube-bench’s own AKS Job into a pinned one that prints JSON for aks-1.8', () => {
    const cmd = /^(sed [^\n]*\\\n[^\n]*job-aks\.yaml) > job\.yaml$/m.exec(readme)?.[1];
    expect(cmd).toBeDefined();
    const job = parseYaml(execFileSync('bash', ['-c', cmd ?? 'false'], { cwd: ROOT, encoding: 'utf8' })) as {
      spec: { template: { spec: { containers: { image: string; command: string[] }[] } } };
    };
    const [container] = job.spec.template.spec.containers;
    expect(container?.image).toBe('docker.io/aquasec/kube-bench:v0.15.6');
    expect(container?.command).toEqual(['kube-bench', 'run', '--targets', 'node', '--benchmark', 'aks-1.8', '--json']);
  });

  it('every line of its explain samples that is not elided is in the real output', async () => {
    const samples = [...readme.matchAll(/```\n\$ npx tsx src\/cli\/main\.ts (explain [^\n]+)\n([\s\S]*?)```/g)];
    expect(samples.length).toBeGreaterThanOrEqual(2);
    for (const [, command, shown] of samples) {
      const run = await runCli((command ?? '').split(' '));
      expect(run.code, command).toBe(0);
      const real = new Set(run.stdout.split('\n').map((l) => l.trimEnd()));
      const lines = (shown ?? '').split('\n').filter((l) => l.trim() && !l.includes('...') && !l.includes('…'));
      expect(lines.length, command).toBeGreaterThanOrEqual(4);
      for (const line of lines) expect(real, `${command}: ${line}`).toContain(line.trimEnd());
    }
  });
});
