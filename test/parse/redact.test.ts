import { describe, expect, it } from 'vitest';
import { normaliseKubeBench, parseKubeBenchText } from '../../src/parse/index.js';
import { REDACTED, redactSecrets } from '../../src/parse/redact.js';
import { NOT_SECRETS, SECRET_CASES } from '../fixtures/secrets.js';
import { sampleReport } from '../fixtures/reports.js';

const AZURE_JSON =
  '{"cloud":"AzurePublicCloud","tenantId":"t","aadClientId":"msi","aadClientSecret":"S3cr3t-Value~xyz","subscriptionId":"s","useManagedIdentityExtension":true,"userAssignedIdentityID":"id"}';

describe('secrets in actual values', () => {
  it('masks azure.json secrets and secret-looking flags, and keeps the rest', () => {
    const out = redactSecrets(AZURE_JSON);
    expect(out).not.toContain('S3cr3t');
    expect(out).toContain('"aadClientSecret":"[redacted]"');
    expect(out).toContain('"aadClientId":"msi"');
    expect(redactSecrets('kubelet --bootstrap-token=abcdef.0123456789abcdef --client-ca-file=/etc/kubernetes/certs/ca.crt')).toBe(
      'kubelet --bootstrap-token=[redacted] --client-ca-file=/etc/kubernetes/certs/ca.crt',
    );
    // Paths to key files are not secrets.
    expect(redactSecrets('--tls-private-key-file=/etc/kubernetes/certs/kubeletserver.key')).toBe(
      '--tls-private-key-file=/etc/kubernetes/certs/kubeletserver.key',
    );
    expect(redactSecrets('permissions=644')).toBe('permissions=644');
  });

  it('never lets a secret through the JSON or the text parser', () => {
    const r = sampleReport();
    r.Controls[0]!.tests![0]!.results![0]!.actual_value = AZURE_JSON;
    const n = normaliseKubeBench(r, 'x');
    expect(JSON.stringify(n)).not.toContain('S3cr3t');
    const text = `[INFO] 3 Worker Node Security Configuration\n[FAIL] 3.1.3 Ensure that the azure.json file has permissions set to 644 or more restrictive (Automated)\n\t ${AZURE_JSON}\n`;
    expect(JSON.stringify(parseKubeBenchText(text, 'x'))).not.toContain('S3cr3t');
  });
});

describe('redaction forms', () => {
  it.each([
    ['"aadClientSecret" : "a\\"b"', '"aadClientSecret" : "[redacted]"'],
    ['password=hunter2;user=x', 'password=[redacted];user=x'],
    ["--token 'abc def' --v=2", "--token '[redacted]' --v=2"],
    ['--token --v=2', '--token --v=2'],
    ['--authentication-token-webhook=true', '--authentication-token-webhook=true'],
    ['"storageAccountKeyPath": "/etc/x"', '"storageAccountKeyPath": "/etc/x"'],
    ['sasToken: sv=2020&sig=abc', 'sasToken: [redacted]'],
    ['"tlsPrivateKeyFile": "/etc/kubernetes/certs/k.key"', '"tlsPrivateKeyFile": "/etc/kubernetes/certs/k.key"'],
    ['nothing to see', 'nothing to see'],
  ])('%s', (input, expected) => expect(redactSecrets(input)).toBe(expected));
});

describe('the shared secret-bearing fixtures', () => {
  it.each(SECRET_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = redactSecrets(c.actual);
    expect(out).not.toContain(c.secret);
    expect(out).toContain(REDACTED);
    for (const k of c.keep ?? []) expect(out).toContain(k);
  });

  it.each(NOT_SECRETS.map((v) => [v]))('leaves %s alone', (v) => expect(redactSecrets(v)).toBe(v));

  it('redacts a PEM key cut off before its END line, and keeps the BEGIN line as evidence', () => {
    const out = redactSecrets('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkeyMaterial');
    expect(out).toBe('-----BEGIN EC PRIVATE KEY-----[redacted]');
  });

  it('ends a SAS signature at the next URL parameter', () => {
    expect(redactSecrets('https://a.blob.core.windows.net/c?sig=abc%3D&se=2030-01-01')).toBe('https://a.blob.core.windows.net/c?sig=[redacted]&se=2030-01-01');
  });
});
