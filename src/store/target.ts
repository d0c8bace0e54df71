/**
 * Where the tables live, read from the settings Azure Functions already uses for its own storage.
 *
 * Order: AZURE_STORAGE_CONNECTION_STRING (a separate results account), then the `AzureWebJobsStorage`
 * connection string, then identity-based `AzureWebJobsStorage__tableServiceUri` + `__queueServiceUri`
 * or `AzureWebJobsStorage__accountName`, with `__credential=managedidentity` and `__clientId` choosing
 * a user-assigned identity as the Functions host does. With nothing set outside Azure, Azurite
 * (`UseDevelopmentStorage=true`); inside Azure (WEBSITE_INSTANCE_ID is set) that is an error instead,
 * because silently writing to a local emulator there would lose results.
 */
import { STORAGE_CONNECTION } from '../pipeline/queues.js';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { InputError } from '../model/errors.js';

export type StorageTarget = { kind: 'connection-string'; value: string } | { kind: 'account'; tableUrl: string; queueUrl: string; credential: TokenCredential };

export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function serviceUrl(env: NodeJS.ProcessEnv, name: string): string {
  const raw = setting(env, name);
  if (!raw) throw new InputError(`setting ${name}`, 'is not set');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(`setting ${name}`, 'is not a URL (expected e.g. https://<account>.table.core.windows.net)');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new InputError(`setting ${name}`, 'must be an https URL (http is allowed only for a loopback emulator)');
  }
  if (url.search || url.username || url.password) {
    throw new InputError(`setting ${name}`, 'must not carry a query string or credentials; identity-based connections use a token');
  }
  return url.toString().replace(/\/$/, '');
}

export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function credentialFrom(env: NodeJS.ProcessEnv, prefix: string): TokenCredential {
  const kind = setting(env, `${prefix}__credential`)?.toLowerCase();
  const clientId = setting(env, `${prefix}__clientId`);
  if (kind !== undefined && kind !== 'managedidentity') {
    throw new InputError(`setting ${prefix}__credential`, `is "${kind}"; only "managedidentity" is supported`);
  }
  if (kind === 'managedidentity') return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
  return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}

/** Reads the storage target; `connection` is the Functions connection name (default AzureWebJobsStorage). */
export function storageTargetFromEnv(env: NodeJS.ProcessEnv, connection = STORAGE_CONNECTION): StorageTarget {
  const explicit = setting(env, 'AZURE_STORAGE_CONNECTION_STRING');
  if (explicit) return { kind: 'connection-string', value: checkConnectionString(explicit, 'AZURE_STORAGE_CONNECTION_STRING') };
  const webjobs = setting(env, connection);
  if (webjobs) return { kind: 'connection-string', value: checkConnectionString(webjobs, connection) };

  const tableUri = setting(env, `${connection}__tableServiceUri`);
  const queueUri = setting(env, `${connection}__queueServiceUri`);
  if (tableUri || queueUri) {
    return {
      kind: 'account',
      tableUrl: serviceUrl(env, `${connection}__tableServiceUri`),
      queueUrl: serviceUrl(env, `${connection}__queueServiceUri`),
      credential: credentialFrom(env, connection),
    };
  }
  const account = setting(env, `${connection}__accountName`);
  if (account) {
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw new InputError(`setting ${connection}__accountName`, 'must be a storage account name: 3 to 24 lower-case letters and digits');
    }
    return {
      kind: 'account',
      tableUrl: `https://${account}.table.core.windows.net`,
      queueUrl: `https://${account}.queue.core.windows.net`,
      credential: credentialFrom(env, connection),
    };
  }
  if (setting(env, 'WEBSITE_INSTANCE_ID')) {
    throw new InputError(
      'storage settings',
      `none of AZURE_STORAGE_CONNECTION_STRING, ${connection}, ${connection}__tableServiceUri/__queueServiceUri or ${connection}__accountName is set`,
    );
  }
  return { kind: 'connection-string', value: DEVELOPMENT_STORAGE };
}

function checkConnectionString(value: string, name: string): string {
  if (value === DEVELOPMENT_STORAGE) return value;
  const parts = new Map(
    value
      .split(';')
      .filter(Boolean)
      .map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
      }),
  );
  const hasEndpoint = parts.has('tableendpoint') || parts.has('accountname');
  const hasSecret = parts.has('accountkey') || parts.has('sharedaccesssignature');
  // Name the setting and what is missing, never echo the value: it holds the key.
  if (!hasEndpoint) throw new InputError(`setting ${name}`, 'is not a storage connection string (no AccountName or TableEndpoint)');
  if (!hasSecret) throw new InputError(`setting ${name}`, 'has neither AccountKey nor SharedAccessSignature');
  return value;
}

/** True when the connection string points at an http endpoint (Azurite), which the SDK refuses unless told. */
export function connectionStringIsHttp(value: string): boolean {
  if (value === DEVELOPMENT_STORAGE) return true;
  return /(^|;)\s*DefaultEndpointsProtocol\s*=\s*http\s*(;|$)/i.test(value) || /(^|;)\s*TableEndpoint\s*=\s*http:/i.test(value);
}
