/**
 * Which registered function answers each API route on the real Functions host. The host sorts HTTP
 * functions by name, case-insensitively, and the first route template that matches the path and
 * method wins; registration order in the code changes nothing (azure-functions-host
 * FunctionMetadataManager.cs orders by name; WebScriptHostHttpRoutesManager.cs adds the routes in
 * that order; overlapping templates are not reported as conflicts, issue #9876).
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/api/index.js';
import { REGISTRATIONS } from '../../functions/api.js';
import { servedBy, templateMatches, type Registration } from '../../src/cli/host/function-keys.js';

const rank = { anonymous: 0, function: 1, admin: 2 } as const;

/** A concrete path for a route template: each {param} filled with a sample segment. */
const samplePath = (route: string): string => route.replace(/\{[^}]+\}/g, 'sample');

function violations(registrations: readonly Registration[]): string[] {
  const v: string[] = [];
  for (const route of ROUTES) {
    const path = samplePath(route.route);
    const reg = servedBy(registrations, route.method, path);
    const where = `${route.method} /api/${path}`;
    if (!reg) v.push(`${where}: no function serves it`);
    else if (rank[reg.authLevel] < rank[route.authLevel]) v.push(`${where}: served by ${reg.name} at ${reg.authLevel}, needs ${route.authLevel}`);
    else if (route.authLevel === 'anonymous' && reg.authLevel !== 'anonymous') v.push(`${where}: must be anonymous, served by ${reg.name} at ${reg.authLevel}`);
  }
  return v;
}

describe('HTTP functions on the host: name order, first match wins', () => {
  it('every API route is served at its own key level, and GET /api/health anonymously', () => {
    expect(violations(REGISTRATIONS)).toEqual([]);
    expect(servedBy(REGISTRATIONS, 'GET', 'health')?.authLevel).toBe('anonymous');
    expect(servedBy(REGISTRATIONS, 'GET', 'HEALTH')?.name).toBe('health');
    expect(servedBy(REGISTRATIONS, 'POST', 'scans')?.authLevel).toBe('admin');
    // Changing a waiver needs the admin key; reading waivers a function key.
    expect(servedBy(REGISTRATIONS, 'PUT', 'waivers/w-1')).toMatchObject({ name: 'putWaiver', authLevel: 'admin' });
    expect(servedBy(REGISTRATIONS, 'DELETE', 'waivers/w-1')).toMatchObject({ name: 'deleteWaiver', authLevel: 'admin' });
    expect(servedBy(REGISTRATIONS, 'GET', 'waivers/w-1')?.authLevel).toBe('function');
    expect(servedBy(REGISTRATIONS, 'GET', 'waivers/w-1/history')?.authLevel).toBe('function');
  });

  it('a waiver route left to a function-level registration is reported', () => {
    const weaker = REGISTRATIONS.map((r) => (r.name === 'putWaiver' ? { ...r, authLevel: 'function' as const } : r));
    expect(violations(weaker)).toContain('PUT /api/waivers/sample: served by putWaiver at function, needs admin');
    const missing = REGISTRATIONS.filter((r) => r.name !== 'deleteWaiver');
    expect(violations(missing)).toContain('DELETE /api/waivers/sample: no function serves it');
  });

  it('nothing is more open than its route: only health and the data-free dashboard page are anonymous', () => {
    expect(REGISTRATIONS.filter((r) => r.authLevel === 'anonymous').map((r) => r.route)).toEqual(['dashboard', 'health']);
  });

  it('a catch-all named to sort first (the old "api") shadows health, and the check says so', () => {
    const renamed = REGISTRATIONS.map((r) => (r.route === '{*path}' ? { ...r, name: 'api' } : r));
    expect(servedBy(renamed, 'GET', 'health')?.name).toBe('api');
    expect(violations(renamed)).toContain('GET /api/health: must be anonymous, served by api at function');
  });

  it('case does not rescue a name: "Api" sorts before "health" as "api" does', () => {
    const renamed = REGISTRATIONS.map((r) => (r.route === '{*path}' ? { ...r, name: 'Api' } : r));
    expect(violations(renamed).length).toBeGreaterThan(0);
    const upperHealth = REGISTRATIONS.map((r) => (r.name === 'health' ? { ...r, name: 'Health' } : r));
    expect(violations(upperHealth)).toEqual([]);
  });

  it('the template matcher: literals ignore case, {x} is one segment, {*x} is the rest', () => {
    expect(templateMatches('clusters/{a}/{b}', 'CLUSTERS/x/y')).toBe(true);
    expect(templateMatches('clusters/{a}/{b}', 'clusters/x')).toBe(false);
    expect(templateMatches('clusters/{a}', 'clusters/x/y')).toBe(false);
    expect(templateMatches('{*path}', 'a/b/c')).toBe(true);
    expect(templateMatches('{*path}', '')).toBe(true);
  });
});
