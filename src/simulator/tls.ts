/**
 * A certificate for 127.0.0.1 made at start. The SDK's bearer-token policy refuses plain http,
 * so the simulator speaks HTTPS and clients trust this certificate via `tlsOptions: { ca }`.
 */
import { generate } from 'selfsigned';

export interface SimulatorCert {
  key: string;
  cert: string;
}

export async function makeLoopbackCert(): Promise<SimulatorCert> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + 7 * 24 * 3600_000);
  const pems = await generate([{ name: 'commonName', value: 'aks-fleet-scanner ARM simulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      // Marked as a CA so the certificate can be its own trust anchor in `ca`.
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
