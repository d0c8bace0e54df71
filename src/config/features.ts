/**
 * Settings degrade, they do not stop the app. An optional feature whose setting is unusable (a Key
 * Vault reference App Service could not resolve, a malformed URL) is turned off with one warning and
 * its reason is shown by GET /api/health; scans and the API keep working. Any other unusable setting
 * still fails at start, naming the setting.
 */
import type { AlertRouting } from '../alert/routes.js';
import { alertRoutes } from '../alert/routes.js';
import type { Settings, SettingName } from './settings.js';
import { parseSettings, SettingsError } from './settings.js';

/** Each optional feature and the settings it needs; a setting listed here never stops the app. */
export const OPTIONAL_FEATURES = {
  /** Teams alerts on new FAILs; WAIVERS_FILE decides what they leave out, so a bad one turns them off rather than sending waived checks. */
  alerts: ['TEAMS_WEBHOOK_URL', 'WAIVERS_FILE'],
  /** The dashboard link in alert cards. */
  alertDashboardLink: ['DASHBOARD_URL'],
} as const satisfies Record<string, readonly SettingName[]>;

export type Feature = keyof typeof OPTIONAL_FEATURES;
/** "on", or "off: <reason naming the setting>". */
export type FeatureState = 'on' | `off: ${string}`;
/** The optional features, plus one `alertRoute:<name>` per route ALERT_ROUTES names. */
export type FeatureStates = Record<Feature, FeatureState> & { [route: `alertRoute:${string}`]: FeatureState };

export const OPTIONAL_SETTINGS: readonly SettingName[] = Object.values(OPTIONAL_FEATURES).flat();

/** The setting a feature cannot work without: with it unset, the feature is simply not configured. */
const ENABLED_BY: Record<Feature, SettingName> = { alerts: 'TEAMS_WEBHOOK_URL', alertDashboardLink: 'DASHBOARD_URL' };

export interface LoadedSettings {
  /** Settings with every unusable optional one left out. */
  settings: Settings;
  features: FeatureStates;
  /** ALERT_ROUTES with each route's URL, the default channel its fallback; unusable routes left out. */
  routing: AlertRouting;
  /** One line per feature turned off by an unusable setting (not by one left unset); never a setting's value. */
  warnings: string[];
}

function warning(feature: Feature, reason: string): string {
  return `${feature} turned off: ${reason}; everything else keeps working`;
}

/** Settings for the app: required ones fail (SettingsError), optional ones turn their feature off. */
export function loadSettings(env: NodeJS.ProcessEnv): LoadedSettings {
  const { values, problems } = parseSettings(env);
  for (const [name, problem] of problems) if (!OPTIONAL_SETTINGS.includes(name)) throw new SettingsError(name, problem);
  const features = {} as FeatureStates;
  const warnings: string[] = [];
  for (const [feature, names] of Object.entries(OPTIONAL_FEATURES) as [Feature, readonly SettingName[]][]) {
    const broken = names.find((n) => problems.has(n));
    if (broken) {
      const reason = `${broken} ${problems.get(broken) as string}`;
      features[feature] = `off: ${reason}`;
      warnings.push(warning(feature, reason));
      // All of the feature's settings go, so that no half of it runs (alerts without their waivers).
      for (const n of names) delete values[n];
    } else if (values[ENABLED_BY[feature]] === undefined) features[feature] = `off: ${ENABLED_BY[feature]} is not set`;
    else features[feature] = 'on';
  }
  // Each route stands alone: one that is unusable is off with its reason, the others keep working.
  const routing = alertRoutes(
    features.alerts.startsWith('off: WAIVERS_FILE') ? {} : { ...env, ALERT_ROUTES: values.ALERT_ROUTES, TEAMS_WEBHOOK_URL: values.TEAMS_WEBHOOK_URL },
  );
  for (const r of routing.routes) features[`alertRoute:${r.name}`] = 'on';
  for (const r of routing.off) features[`alertRoute:${r.name}`] = `off: ${r.reason}`;
  warnings.push(...routing.warnings);
  // Routes alone (no TEAMS_WEBHOOK_URL) are alerts too.
  if (routing.routes.length > 0 && features.alerts === `off: TEAMS_WEBHOOK_URL is not set`) features.alerts = 'on';
  return { settings: values as Settings, features, routing, warnings };
}

/** Turns a feature off after start (e.g. the waiver file could not be read): the state and one warning. */
export function turnOff(loaded: LoadedSettings, feature: Feature, reason: string): void {
  loaded.features[feature] = `off: ${reason}`;
  loaded.warnings.push(warning(feature, reason));
}
