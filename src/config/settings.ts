/**
 * Every setting the product reads, validated once at start. A missing or bad setting fails with
 * a message naming it; `local.settings.example.json` lists them all (a test keeps the two in step).
 * Storage settings (AzureWebJobsStorage, AzureWebJobsStorage__*, AZURE_STORAGE_CONNECTION_STRING)
 * are read by src/store/target.ts.
 */
import { z } from 'zod';
import { BENCHMARKS } from '../model/kube-bench.js';
import { DEFAULT_NAMESPACE, IMAGE_REFERENCE, NAMESPACE_NAME } from '../scan/incluster/contract.js';

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const positiveInt = (dflt: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${max}, not "${v}"` });
        return z.NEVER;
      }
      return n;
    });

/** NCRONTAB as Azure Functions takes it: six fields, seconds first. */
const NCRONTAB = /^(\S+\s+){5}\S+$/;

const schedule = (dflt: string) =>
  z
    .string()
    .optional()
    .transform((v) => v?.trim() || dflt)
    .refine((v) => NCRONTAB.test(v), { message: `must be an NCRONTAB expression with six fields (seconds first), e.g. "${dflt}"` });

export const SETTINGS = {
  SCAN_SCHEDULE: schedule('0 0 2 * * *'),
  /** The housekeeping timer: run digests past their deadline, and retries of digests that failed to post. */
  HOUSEKEEPING_SCHEDULE: schedule('0 */5 * * * *'),
  RETENTION_DAYS: positiveInt(90, 3650),
  SCAN_SUBSCRIPTIONS: list,
  SCAN_EXCLUDE_SUBSCRIPTIONS: list,
  SCAN_RESOURCE_GROUP_PATTERN: z.string().optional(),
  /** How clusters are found: one list call per subscription, or one tenant-wide Resource Graph query. */
  SCAN_DISCOVERY: z.enum(['arm', 'resource-graph']).optional().default('arm'),
  SCAN_INCLUDE_TAGS: list,
  SCAN_EXCLUDE_TAGS: list,
  SCAN_NODES: z.enum(['per-pool', 'all']).optional().default('per-pool'),
  SCAN_BENCHMARK: z
    .enum(['auto', ...BENCHMARKS])
    .optional()
    .default('auto'),
  KUBE_BENCH_IMAGE: z
    .string()
    .optional()
    .refine((v) => v === undefined || IMAGE_REFERENCE.test(v), {
      message: 'must be an image reference pinned by tag or digest, e.g. myacr.azurecr.io/aquasec/kube-bench:v0.15.6',
    }),
  /** The one namespace every scan's Jobs run in, which owners exempt from admission policies by name. */
  SCAN_NAMESPACE: z
    .string()
    .optional()
    .transform((v) => v?.trim() || DEFAULT_NAMESPACE)
    .refine((v) => NAMESPACE_NAME.test(v), {
      message: 'must be a Kubernetes namespace name (a DNS-1123 label: 1-63 lower-case letters, digits or "-", starting and ending with a letter or digit)',
    }),
  SCAN_CONCURRENCY: positiveInt(16, 256),
  SCAN_PER_SUBSCRIPTION: positiveInt(8, 64),
  // Below host.json's functionTimeout (15 min), or the host kills the scan and redelivers it.
  SCAN_CLUSTER_DEADLINE_SECONDS: positiveInt(600, 840),
  SCAN_NODES_PER_COMMAND: positiveInt(30, 60),
  ARM_ENDPOINT: z.url({ protocol: /^https$/ }).optional(),
  ARM_CA_FILE: z.string().optional(),
  TEAMS_WEBHOOK_URL: z.url({ protocol: /^https$/ }).optional(),
  /** Routes of clusters to team channels (src/alert/routes.ts); each route's URL is ALERT_ROUTE_<NAME>_URL. A bad route is turned off, never fatal. */
  ALERT_ROUTES: z.string().optional(),
  /** A run's digests are posted this long after its start even if some clusters never reported. */
  ALERT_RUN_DEADLINE_MINUTES: positiveInt(240, 2880),
  /** A waiver file (YAML or JSON) applied to alerts, on top of the shipped default waivers. */
  WAIVERS_FILE: z.string().optional(),
  /** Table waivers (PUT /api/waivers/{id}, `waivers import`) expire at most this many days ahead. */
  WAIVER_MAX_DAYS: positiveInt(365, 3650),
  /** "off" drops the shipped default waivers (for platform and check-quirk topics) everywhere waivers apply. */
  DEFAULT_WAIVERS: z.enum(['on', 'off'], { error: 'must be on or off' }).optional().default('on'),
  /** Linked from alerts, e.g. https://<app>.azurewebsites.net/api/dashboard. */
  DASHBOARD_URL: z.url({ protocol: /^https$/ }).optional(),
} as const;

type Shape = typeof SETTINGS;
export type Settings = { [K in keyof Shape]: z.output<Shape[K]> };

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    // The value is not echoed: some settings are secrets (TEAMS_WEBHOOK_URL).
    super(`setting ${setting} ${problem}`);
  }
}

/**
 * App Service leaves the literal reference text in a setting whose Key Vault secret it could not
 * read (no access yet, secret deleted, network rule), and retries within 24 hours or on a
 * configuration change (Microsoft Learn, "Use Key Vault references").
 */
const UNRESOLVED_KEY_VAULT_REFERENCE = /^\s*@Microsoft\.KeyVault\(/i;

export type SettingName = keyof Shape;

/** Every setting parsed on its own: the values that are usable, and a problem for each one that is not. */
export function parseSettings(env: NodeJS.ProcessEnv): { values: Partial<Settings>; problems: Map<SettingName, string> } {
  const values: Record<string, unknown> = {};
  const problems = new Map<SettingName, string>();
  for (const [name, schema] of Object.entries(SETTINGS) as [SettingName, z.ZodType][]) {
    const raw = env[name];
    if (raw !== undefined && UNRESOLVED_KEY_VAULT_REFERENCE.test(raw)) {
      problems.set(name, 'is an unresolved Key Vault reference');
      continue;
    }
    const r = schema.safeParse(raw === '' ? undefined : raw);
    if (r.success) values[name] = r.data;
    else {
      const msg = r.error.issues[0]?.message ?? 'is not valid';
      problems.set(name, msg.startsWith('must') ? msg : `is not valid: ${msg}`);
    }
  }
  return { values: values as Partial<Settings>, problems };
}

/** All settings, or a SettingsError naming the first unusable one (the CLI: a bad setting stops the command). */
export function readSettings(env: NodeJS.ProcessEnv): Settings {
  const { values, problems } = parseSettings(env);
  const [first] = problems;
  if (first) throw new SettingsError(...first);
  return values as Settings;
}

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
