/** The Job template's container command, read the way Kubernetes reads it. */
import { parse } from 'yaml';
import { jobTemplate } from '../../../src/scan/incluster/request.js';

export interface JobTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    backoffLimit: number;
    activeDeadlineSeconds: number | string;
    ttlSecondsAfterFinished: number;
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        hostPID: boolean;
        restartPolicy: string;
        automountServiceAccountToken: boolean;
        tolerations: { operator?: string; key?: string }[];
        containers: {
          image: string;
          command: string[];
          securityContext: { readOnlyRootFilesystem?: boolean; privileged?: boolean; allowPrivilegeEscalation?: boolean };
          resources: { requests?: Record<string, string>; limits?: Record<string, string> };
          volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
        }[];
        volumes: { name: string; hostPath?: { path: string }; emptyDir?: unknown }[];
      };
    };
  };
}

export function parsedTemplate(): JobTemplate {
  return parse(jobTemplate()) as JobTemplate;
}

/** The `sh -c` program of the kube-bench container. */
export function containerProgram(): string {
  const c = parsedTemplate().spec.template.spec.containers[0];
  if (!c || c.command[0] !== '/bin/sh' || c.command[1] !== '-c' || typeof c.command[2] !== 'string') {
    throw new Error('aksfs-job.yaml: the kube-bench container must run ["/bin/sh", "-c", <program>]');
  }
  return c.command[2];
}
