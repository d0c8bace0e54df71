/**
 * What `aks-fleet-scanner doctor` reports for each cluster: one verdict per check, in a fixed order,
 * each failure with what to do about it. `doctorReportSchema` is the documented JSON output
 * (`--format json`, src/doctor/README.md); the text output shows the same data.
 */
import { z } from 'zod';

/** ARM's own answers prove the Azure permissions; the rest come from one run-command's script. */
export const ARM_CHECK_IDS = ['arm-read', 'cluster-state', 'arm-run-command', 'arm-command-result'] as const;
/** Reported by src/scan/incluster/aksfs-doctor.sh, one `===AKSFS-CHECK v1 ...===` line each. */
export const IN_CLUSTER_CHECK_IDS = ['command-pod', 'rbac', 'namespace', 'nodes', 'admission', 'image', 'capacity'] as const;
export const DOCTOR_CHECK_IDS = [...ARM_CHECK_IDS, ...IN_CLUSTER_CHECK_IDS] as const;
export type DoctorCheckId = (typeof DOCTOR_CHECK_IDS)[number];
export type InClusterCheckId = (typeof IN_CLUSTER_CHECK_IDS)[number];

/** skip: not run, because an earlier check failed (its detail says which). */
export const DOCTOR_STATUSES = ['pass', 'fail', 'skip'] as const;
export type DoctorStatus = (typeof DOCTOR_STATUSES)[number];

export const doctorCheckSchema = z.object({
  id: z.enum(DOCTOR_CHECK_IDS),
  title: z.string(),
  status: z.enum(DOCTOR_STATUSES),
  detail: z.string(),
  /** What to do; present on every failure. */
  fix: z.string().optional(),
});
export type DoctorCheck = z.infer<typeof doctorCheckSchema>;

export const clusterDoctorSchema = z.object({
  /** The cluster's ARM resource id, as given or as ARM spells it. */
  clusterId: z.string(),
  name: z.string(),
  /** True when no check failed. */
  ok: z.boolean(),
  /** The image and namespace the checks used (the cluster's tag aks-fleet-scanner-image wins). */
  image: z.string().nullable(),
  namespace: z.string(),
  checks: z.array(doctorCheckSchema),
});
export type ClusterDoctor = z.infer<typeof clusterDoctorSchema>;

export const doctorReportSchema = z.object({
  version: z.literal(1),
  ok: z.boolean(),
  clusters: z.array(clusterDoctorSchema),
  /** Subscriptions whose clusters could not be listed, and cluster ids not found. */
  problems: z.array(z.string()),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;
