import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_STORAGE, storageTargetFromEnv } from '../../src/store/target.js';

const KEYED = 'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net';

describe('storageTargetFromEnv', () => {
  it('prefers AZURE_STORAGE_CONNECTION_STRING, then AzureWebJobsStorage', () => {
    expect(storageTargetFromEnv({ AZURE_STORAGE_CONNECTION_STRING: KEYED, AzureWebJobsStorage: DEVELOPMENT_STORAGE })).toEqual({
      kind: 'connection-string',
      value: KEYED,
    });
    expect(storageTargetFromEnv({ AzureWebJobsStorage: DEVELOPMENT_STORAGE })).toEqual({ kind: 'connection-string', value: DEVELOPMENT_STORAGE });
  });

  it('builds an identity-based target from the service URIs or the account name', () => {
    const t = storageTargetFromEnv({
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net/',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '11111111-1111-1111-1111-111111111111',
    });
    expect(t.kind === 'account' && [t.tableUrl, t.queueUrl, typeof t.credential.getToken]).toEqual([
      'https://acct.table.core.windows.net',
      'https://acct.queue.core.windows.net',
      'function',
    ]);
    const n = storageTargetFromEnv({ AzureWebJobsStorage__accountName: 'acct' });
    expect(n.kind === 'account' && [n.tableUrl, n.queueUrl]).toEqual(['https://acct.table.core.windows.net', 'https://acct.queue.core.windows.net']);
  });

  it('defaults to Azurite locally, and refuses to inside Azure', () => {
    expect(storageTargetFromEnv({})).toEqual({ kind: 'connection-string', value: DEVELOPMENT_STORAGE });
    expect(() => storageTargetFromEnv({ WEBSITE_INSTANCE_ID: 'abc' })).toThrow(/AZURE_STORAGE_CONNECTION_STRING, AzureWebJobsStorage/);
  });

  it('names the bad setting and never echoes a secret', () => {
    const noKey = 'AccountName=acct;EndpointSuffix=core.windows.net';
    expect(() => storageTargetFromEnv({ AzureWebJobsStorage: noKey })).toThrow(/setting AzureWebJobsStorage: has neither AccountKey/);
    try {
      storageTargetFromEnv({ AZURE_STORAGE_CONNECTION_STRING: 'garbage;AccountKey=c2VjcmV0' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/setting AZURE_STORAGE_CONNECTION_STRING/);
      expect((e as Error).message).not.toContain('c2VjcmV0');
    }
    expect(() => storageTargetFromEnv({ AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net' })).toThrow(
      /AzureWebJobsStorage__queueServiceUri: is not set/,
    );
    expect(() =>
      storageTargetFromEnv({ AzureWebJobsStorage__tableServiceUri: 'http://acct.table.core.windows.net', AzureWebJobsStorage__queueServiceUri: 'https://q' }),
    ).toThrow(/tableServiceUri: must be an https URL/);
    expect(() => storageTargetFromEnv({ AzureWebJobsStorage__accountName: 'Bad_Name' })).toThrow(/AzureWebJobsStorage__accountName/);
    expect(() => storageTargetFromEnv({ AzureWebJobsStorage__accountName: 'acct', AzureWebJobsStorage__credential: 'secret' })).toThrow(/__credential/);
  });
});
