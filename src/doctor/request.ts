/**
 * The one run-command `doctor` sends: `bash ./aksfs-doctor.sh` with a context zip holding the
 * script, the scan's own Job template (so admission judges the real Job), the scan's node-selection
 * jq program (so it checks the nodes a scan would use) and doctor.env.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../model/errors.js';
import { ContextZip, fileFromContext, JOB_TEMPLATE_FILE, NAMESPACE_NAME, NODES_FILE } from '../scan/incluster/contract.js';
import type { RunCommandRequest } from '../scan/incluster/request.js';
import { jobTemplate, nodesProgram, scanScript } from '../scan/incluster/request.js';
import { formatCanI, SCAN_PERMISSIONS } from './permissions.js';

export const DOCTOR_SCRIPT_FILE = 'aksfs-doctor.sh';
export const DOCTOR_ENV_FILE = 'doctor.env';
export const DOCTOR_COMMAND = `bash ./${DOCTOR_SCRIPT_FILE}`;
/** How long the script waits for its check pod to pull the image and exit. */
export const DEFAULT_DOCTOR_WAIT_SECONDS = 90;

export interface DoctorEnv {
  namespace: string;
  image: string;
  /** Names the check Job aksfs-doctor-<id>. */
  doctorId: string;
  waitSeconds: number;
}

let script: string | undefined;
function doctorScript(): string {
  if (script === undefined) {
    const url = new URL(`../scan/incluster/${DOCTOR_SCRIPT_FILE}`, import.meta.url);
    try {
      script = readFileSync(url, 'utf8');
    } catch (e) {
      throw new Error(
        `in-cluster asset ${DOCTOR_SCRIPT_FILE} is missing at ${url.pathname} (the build must copy src/scan/incluster/*.sh): ${errorMessage(e)}`,
        {
          cause: e,
        },
      );
    }
  }
  return script;
}

/** The tools aksfs-scan.sh checks for (its `for tool in ...; do` line), so the doctor checks the same ones. */
export function scanTools(): string[] {
  const m = /^for tool in ([a-z0-9 _-]+); do$/m.exec(scanScript());
  return m?.[1] ? m[1].split(/\s+/).filter(Boolean) : ['kubectl', 'jq'];
}

const SAFE = /^[A-Za-z0-9._:/@,-]*$/;

export function formatDoctorEnv(env: DoctorEnv): string {
  const values: Record<string, string> = {
    AKSFS_NAMESPACE: env.namespace,
    AKSFS_IMAGE: env.image,
    AKSFS_DOCTOR_ID: env.doctorId,
    AKSFS_WAIT_SECONDS: String(env.waitSeconds),
    AKSFS_TOOLS: scanTools().join(','),
    AKSFS_CAN_I: formatCanI(SCAN_PERMISSIONS),
  };
  return (
    Object.entries(values)
      .map(([k, v]) => {
        if (!SAFE.test(v)) throw new Error(`doctor.env: ${k} has characters outside [A-Za-z0-9._:/@,-]: ${JSON.stringify(v)}`);
        return `${k}=${v}`;
      })
      .join('\n') + '\n'
  );
}

/** doctor.env read back out of a run-command context: the simulator's view of the request. */
export function doctorEnvFromContext(contextB64: string): DoctorEnv {
  const text = fileFromContext(contextB64, DOCTOR_ENV_FILE);
  if (text === undefined) throw new Error(`run-command context has no ${DOCTOR_ENV_FILE}`);
  const kv = new Map(text.split('\n').flatMap((l) => (/^([A-Z_]+)=(.*)$/.exec(l.trim()) ? [l.trim().split(/=(.*)/s).slice(0, 2) as [string, string]] : [])));
  return {
    namespace: kv.get('AKSFS_NAMESPACE') ?? '',
    image: kv.get('AKSFS_IMAGE') ?? '',
    doctorId: kv.get('AKSFS_DOCTOR_ID') ?? '',
    waitSeconds: Number(kv.get('AKSFS_WAIT_SECONDS') ?? DEFAULT_DOCTOR_WAIT_SECONDS),
  };
}

let doctorZip: ContextZip | undefined;

export function buildDoctorRequest(env: DoctorEnv, opts: { clusterToken?: string } = {}): RunCommandRequest {
  if (!NAMESPACE_NAME.test(env.namespace)) throw new Error(`buildDoctorRequest: namespace ${JSON.stringify(env.namespace)} is not a namespace name`);
  if (!/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/.test(env.doctorId))
    throw new Error(`buildDoctorRequest: doctorId ${JSON.stringify(env.doctorId)} is not a DNS label`);
  doctorZip ??= new ContextZip({ [DOCTOR_SCRIPT_FILE]: doctorScript(), [JOB_TEMPLATE_FILE]: jobTemplate(), [NODES_FILE]: nodesProgram() });
  const context = doctorZip.build({ [DOCTOR_ENV_FILE]: formatDoctorEnv(env) });
  return { command: DOCTOR_COMMAND, context, ...(opts.clusterToken !== undefined ? { clusterToken: opts.clusterToken } : {}) };
}
