/** Runs `doctor` on one simulated cluster end to end: real SDK clients, the HTTPS simulator. */
import { createArmClients } from '../../src/azure/arm.js';
import { simulatorCredential } from '../../src/cli/static-credential.js';
import type { DoctorOptions } from '../../src/doctor/doctor.js';
import { doctorCluster } from '../../src/doctor/doctor.js';
import type { ClusterDoctor, DoctorCheck, DoctorCheckId } from '../../src/model/doctor.js';
import type { RecordedRequest } from '../../src/simulator/index.js';
import { parseFleetSpec, startArmSimulator } from '../../src/simulator/index.js';
import type { ClusterInput } from '../scan/sim-scan.js';
import { SUB } from '../scan/sim-scan.js';

export { clusterInput } from '../scan/sim-scan.js';

export interface OneDoctor {
  report: ClusterDoctor;
  requests: RecordedRequest[];
  check(id: DoctorCheckId): DoctorCheck;
}

export async function doctorOne(cluster: ClusterInput, opts: Partial<DoctorOptions> = {}): Promise<OneDoctor> {
  const fleet = parseFleetSpec(
    { subscriptions: [{ subscriptionId: SUB, displayName: 'one' }], clusters: [{ ...cluster, subscriptionId: SUB }] },
    'one-cluster fleet',
  );
  const sim = await startArmSimulator({ fleet, commandDurationMs: 20, retryAfterSeconds: 0 });
  try {
    const arm = createArmClients({ credential: simulatorCredential(), endpoint: sim.endpoint, ca: sim.ca, retryDelayInMs: 10 });
    const report = await doctorCluster(
      { subscriptionId: SUB, resourceGroup: cluster.resourceGroup, name: cluster.name },
      { arm },
      { timing: { firstPollDelayMs: 20, pollIntervalMs: 20 }, deadlineMs: 20_000, doctorId: 'test', ...opts },
    );
    const check = (id: DoctorCheckId): DoctorCheck => {
      const c = report.checks.find((x) => x.id === id);
      if (!c) throw new Error(`no check ${id}`);
      return c;
    };
    return { report, requests: sim.requests, check };
  } finally {
    await sim.stop();
  }
}
