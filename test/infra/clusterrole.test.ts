/**
 * infra/kubernetes/aksfs-scanner-rbac.yaml against what the in-cluster script really does: every
 * kubectl call in src/scan/incluster/aksfs-scan.sh is turned into the RBAC permission it needs,
 * and the namespaced Role plus the nodes-only ClusterRole must grant each one and nothing
 * dangerous besides. Calls marked `# rbac: optional` (creating a missing namespace) are left out. A kubectl verb the
 * mapping does not know fails the test, so a change to the script forces a look at the role.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { scanScript } from '../../src/scan/incluster/request.js';
import { INFRA_DIR, REPO_ROOT } from './bicep.js';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

interface Need {
  group: string;
  resource: string;
  verb: string;
  why: string;
}

const SCRIPT = join(REPO_ROOT, 'src', 'scan', 'incluster', 'aksfs-scan.sh');
const JOB_TEMPLATE = join(REPO_ROOT, 'src', 'scan', 'incluster', 'aksfs-job.yaml');

const RESOURCE: Record<string, string> = {
  namespace: 'namespaces',
  node: 'nodes',
  pod: 'pods',
  job: 'jobs',
  event: 'events',
  serviceaccount: 'serviceaccounts',
};
const GROUP: Record<string, string> = { jobs: 'batch' };
/** Flags whose value is the next word. */
const FLAGS_WITH_VALUE = new Set(['-n', '--namespace', '-l', '--selector', '-o', '--output', '-c', '--container', '--field-selector', '-f', '--filename']);

function resourceName(word: string): string {
  const base = word.toLowerCase().split('/')[0] ?? '';
  const singular = base.replace(/s$/, '');
  return RESOURCE[singular] ?? RESOURCE[base] ?? base;
}

function kindsIn(yamlText: string): string[] {
  return [...yamlText.matchAll(/^kind:\s*(\w+)/gm)].map((m) => resourceName(m[1] ?? ''));
}

/** The permissions each `k <verb> …` line of the script needs (k wraps kubectl). */
function scriptNeeds(script: string, jobTemplate: string): { needs: Need[]; unknown: string[] } {
  const lines = script.split('\n');
  const needs: Need[] = [];
  const unknown: string[] = [];
  const add = (resource: string, verb: string, why: string): void => {
    needs.push({ group: GROUP[resource] ?? '', resource, verb, why });
  };
  lines.forEach((line, n) => {
    if (/^\s*#/.test(line) || /# rbac: optional/.test(line)) return;
    // kubectl in command position; the k() wrapper itself starts it after '{', and messages quote it.
    if (/(^|[;&|(!]|\bthen|\bdo|\bif)\s*kubectl\s/.test(line)) unknown.push(`line ${n + 1}: kubectl called directly`);
    for (const m of line.matchAll(/(?:^|[\s;(|&!])k\s+([a-z-]+)((?:\s+(?:"[^"]*"|[^\s;|&)<>]+))*)/g)) {
      const verb = m[1] ?? '';
      const words = [...(m[2] ?? '').matchAll(/"[^"]*"|\S+/g)].map((w) => w[0]);
      const positional: string[] = [];
      for (let i = 0; i < words.length; i++) {
        const w = words[i] ?? '';
        if (FLAGS_WITH_VALUE.has(w)) i++;
        else if (!w.startsWith('-')) positional.push(w);
      }
      const why = `line ${n + 1}: k ${verb} ${words.join(' ')}`;
      if (verb === 'get' || verb === 'delete') {
        const [what, name] = positional;
        for (const r of (what ?? '').split(',').filter(Boolean)) {
          const resource = resourceName(r);
          if (verb === 'get') add(resource, name === undefined && !r.includes('/') ? 'list' : 'get', why);
          else {
            add(resource, 'delete', why);
            // Deleting by label selector lists the objects first.
            if (words.includes('-l')) add(resource, 'list', why);
            // kubectl delete --wait watches the object until it is gone.
            if (words.includes('--wait=true')) {
              add(resource, 'get', why);
              add(resource, 'watch', why);
            }
          }
        }
      } else if (verb === 'logs') {
        add('pods', 'get', why);
        add('pods/log', 'get', why);
      } else if (verb === 'create' && words.join(' ').includes('-f -')) {
        // The object comes from the heredoc that follows.
        const rest = lines.slice(n + 1);
        const end = rest.findIndex((l) => /^EOF\s*$/.test(l));
        for (const kind of kindsIn(rest.slice(0, end < 0 ? undefined : end).join('\n'))) add(kind, 'create', why);
      } else if (verb === 'apply' && words.join(' ').includes('-f -')) {
        // Client-side apply of the Job template into a namespace created moments before: a GET that
        // finds nothing, then a create. It never patches an existing object.
        for (const kind of kindsIn(jobTemplate)) {
          add(kind, 'get', why);
          add(kind, 'create', why);
        }
      } else unknown.push(`${why}: kubectl verb "${verb}" has no RBAC mapping in this test`);
    }
  });
  return { needs, unknown };
}

function allows(rules: Rule[], group: string, resource: string, verb: string): boolean {
  return rules.some((r) => (r.apiGroups ?? []).includes(group) && (r.resources ?? []).includes(resource) && (r.verbs ?? []).includes(verb));
}

/** Permissions the role grants that no script step needs. */
function surplus(rules: Rule[], needs: Need[]): string[] {
  const out: string[] = [];
  for (const r of rules) {
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        for (const verb of r.verbs ?? []) {
          if (!needs.some((n) => n.group === g && n.resource === res && n.verb === verb)) out.push(`${verb} ${g || 'core'}/${res}`);
        }
      }
    }
  }
  return out;
}

function missing(rules: Rule[], needs: Need[]): string[] {
  return needs.filter((n) => !allows(rules, n.group, n.resource, n.verb)).map((n) => `${n.verb} ${n.group || 'core'}/${n.resource} (${n.why})`);
}

const DANGEROUS_VERBS = ['*', 'escalate', 'bind', 'impersonate', 'deletecollection'];
const DANGEROUS_RESOURCES = ['secrets', 'pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy', 'serviceaccounts/token'];

/** Least privilege for the in-cluster side: no wildcards, no secrets, no exec, no RBAC objects. */
function clusterRoleViolations(rules: Rule[]): string[] {
  const v: string[] = [];
  for (const r of rules) {
    for (const k of ['apiGroups', 'resources', 'verbs'] as const) if ((r[k] ?? []).includes('*')) v.push(`wildcard in ${k}`);
    for (const verb of r.verbs ?? []) if (DANGEROUS_VERBS.includes(verb) && verb !== '*') v.push(`verb ${verb}`);
    for (const res of r.resources ?? []) if (DANGEROUS_RESOURCES.includes(res)) v.push(`resource ${res}`);
    if ((r.apiGroups ?? []).includes('rbac.authorization.k8s.io')) v.push('RBAC objects');
  }
  return v;
}

const docs = parseAllDocuments(readFileSync(join(INFRA_DIR, 'kubernetes', 'aksfs-scanner-rbac.yaml'), 'utf8')).map(
  (d) =>
    d.toJS() as {
      kind: string;
      metadata: { name: string; namespace?: string; labels?: Record<string, string> };
      rules?: Rule[];
      roleRef?: { kind: string; name: string };
      subjects?: { kind: string; name: string }[];
    },
);
const role = docs.find((d) => d.kind === 'Role');
const clusterRole = docs.find((d) => d.kind === 'ClusterRole');
const rules = [...(role?.rules ?? []), ...(clusterRole?.rules ?? [])];

describe('infra/kubernetes/aksfs-scanner-rbac.yaml', () => {
  const { needs, unknown } = scriptNeeds(readFileSync(SCRIPT, 'utf8'), readFileSync(JOB_TEMPLATE, 'utf8'));

  it('every kubectl call of the in-cluster script maps to a known permission', () => {
    expect(unknown).toEqual([]);
    // The script's core steps must all be seen, or the parser has gone blind.
    const seen = new Set(needs.map((n) => `${n.verb} ${n.resource}`));
    for (const s of ['list nodes', 'list jobs', 'delete jobs', 'create jobs', 'get pods/log']) expect(seen).toContain(s);
    // Creating a missing namespace is for cluster admins only, not part of what the roles grant.
    expect(seen).not.toContain('create namespaces');
  });

  it('grants every permission the script needs, and no other', () => {
    expect(missing(rules, needs)).toEqual([]);
    expect(surplus(rules, needs)).toEqual([]);
  });

  it('grants nothing dangerous: no wildcards, secrets, exec, or RBAC rights', () => {
    expect(clusterRoleViolations(rules)).toEqual([]);
    expect(allows(rules, '', 'pods', 'create')).toBe(false);
    expect(allows(rules, '', 'nodes', 'patch')).toBe(false);
  });

  it('the checks notice a missing permission, a script change, and a widened role', () => {
    const withoutEvents = rules.filter((r) => !(r.resources ?? []).includes('events'));
    expect(missing(withoutEvents, needs).some((m) => m.startsWith('list core/events'))).toBe(true);
    expect(surplus([...rules, { apiGroups: ['batch'], resources: ['jobs'], verbs: ['patch'] }], needs)).toEqual(['patch batch/jobs']);
    expect(scriptNeeds('k exec -n "$ns" pod/x -- sh\n', '').unknown.length).toBe(1);
    expect(scriptNeeds('k label node "$n" foo=bar\n', '').unknown.length).toBe(1);
    expect(scriptNeeds('if kubectl delete ns x; then :; fi\n', '').unknown).toEqual(['line 1: kubectl called directly']);
    expect(clusterRoleViolations([...rules, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])).toEqual(['resource secrets']);
    expect(clusterRoleViolations([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }])).toContain('wildcard in verbs');
  });

  it('is namespaced except for reading nodes, in the fixed scan namespace labelled privileged', () => {
    const ns = docs.find((d) => d.kind === 'Namespace');
    expect(ns?.metadata.name).toBe('aks-fleet-scanner');
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(role?.metadata.namespace).toBe('aks-fleet-scanner');
    expect(clusterRole?.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['list'] }]);
    expect(scanScript()).toContain('AKSFS_NAMESPACE:-aks-fleet-scanner');
  });

  it('is bound to the scanner identity by object id', () => {
    const binding = docs.find((d) => d.kind === 'RoleBinding');
    expect(binding?.roleRef).toMatchObject({ kind: 'Role', name: 'aksfs-scanner' });
    expect(binding?.metadata.namespace).toBe('aks-fleet-scanner');
    expect(binding?.subjects).toEqual([expect.objectContaining({ kind: 'User', name: '<SCANNER_PRINCIPAL_ID>' })]);
    const nodes = docs.find((d) => d.kind === 'ClusterRoleBinding');
    expect(nodes?.roleRef).toMatchObject({ kind: 'ClusterRole', name: 'aksfs-scanner-nodes' });
    expect(nodes?.subjects).toEqual(binding?.subjects);
  });
});
