/**
 * parse.vs_json_parse: parsing, normalising and totalling one realistic AKS node output, against
 * plain JSON.parse of the same text. The node output is built from the real kube-bench sample:
 * one result per check of aks-1.8's node.yaml, each with the real sample's audit and actual values,
 * which is what a kube-bench run on an AKS node writes.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { KubeBenchJsonReport, KubeBenchResult } from '../../src/model/kube-bench.js';
import { parseKubeBenchOutput } from '../../src/parse/index.js';
import type { Figure } from '../measure.js';
import { ratioFigure, timePerCall } from '../measure.js';

const ROOT = new URL('../../', import.meta.url);

interface CfgCheck {
  id: string;
  text: string;
  audit?: string;
  remediation?: string;
  scored?: boolean;
  type?: string;
}

/**
 * What kube-bench copies into actual_value for the kubelet checks on an AKS node: the kubelet's
 * `ps -fC kubelet` line (AKS passes ~40 flags, as quoted in kube-bench issue #1147) — far longer
 * than the kubeadm sample's, which is what makes an AKS node's output the size it is.
 */
const AKS_KUBELET_PS =
  'UID PID PPID C STIME TTY TIME CMD\nroot 2741 1 3 Nov10 ? 07:12:09 /usr/local/bin/kubelet --enable-server --node-labels=agentpool=nodepool1,kubernetes.azure.com/agentpool=nodepool1,kubernetes.azure.com/cluster=MC_rg_aks_westeurope,kubernetes.azure.com/mode=system,kubernetes.azure.com/node-image-version=AKSUbuntu-2204gen2containerd-202611.10.0,kubernetes.azure.com/os-sku=Ubuntu,kubernetes.azure.com/role=agent ' +
  '--v=2 --volume-plugin-dir=/etc/kubernetes/volumeplugins --address=0.0.0.0 --anonymous-auth=false --authentication-token-webhook=true --authorization-mode=Webhook --azure-container-registry-config=/etc/kubernetes/azure.json ' +
  '--cgroups-per-qos=true --client-ca-file=/etc/kubernetes/certs/ca.crt --cloud-config=/etc/kubernetes/azure.json --cloud-provider=external --cluster-dns=10.0.0.10 --cluster-domain=cluster.local --enforce-node-allocatable=pods ' +
  '--event-qps=0 --eviction-hard=memory.available<750Mi,nodefs.available<10%,nodefs.inodesFree<5% --feature-gates=RotateKubeletServerCertificate=true --image-gc-high-threshold=85 --image-gc-low-threshold=80 --keep-terminated-pod-volumes=false ' +
  '--kube-reserved=cpu=100m,memory=1638Mi --kubeconfig=/var/lib/kubelet/kubeconfig --max-pods=110 --network-plugin=cni --node-status-update-frequency=10s --pod-infra-container-image=mcr.microsoft.com/oss/kubernetes/pause:3.6 --pod-manifest-path=/etc/kubernetes/manifests ' +
  '--pod-max-pids=-1 --protect-kernel-defaults=true --read-only-port=0 --resolv-conf=/run/systemd/resolve/resolv.conf --rotate-certificates=true --streaming-connection-idle-timeout=4h --tls-cert-file=/etc/kubernetes/certs/kubeletserver.crt ' +
  '--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ' +
  '--tls-private-key-file=/etc/kubernetes/certs/kubeletserver.key --container-runtime-endpoint=unix:///run/containerd/containerd.sock --runtime-cgroups=/system.slice/containerd.service';

export function realisticNodeOutput(benchmark = 'aks-1.8'): string {
  const sample = JSON.parse(
    readFileSync(new URL('third_party/kube-bench/samples/real-node-output-cis-1.10-EXCERPT.json', ROOT), 'utf8'),
  ) as KubeBenchJsonReport;
  const templates = sample.Controls[0]!.tests!.flatMap((g) => g.results ?? []);
  const cfg = parseYaml(readFileSync(new URL(`third_party/kube-bench/cfg/${benchmark}/node.yaml`, ROOT), 'utf8')) as {
    groups: { id: string; text: string; checks: CfgCheck[] }[];
  };
  let i = 0;
  const tests = cfg.groups.map((g) => {
    const results: KubeBenchResult[] = g.checks.map((c) => {
      const t = templates[i++ % templates.length] as KubeBenchResult;
      const status = i % 3 === 0 ? 'FAIL' : 'PASS';
      const actual = (c.audit ?? '').includes('ps -fC') ? AKS_KUBELET_PS : t.actual_value;
      return {
        ...t,
        actual_value: actual,
        test_number: c.id,
        test_desc: c.text,
        audit: c.audit ?? t.audit,
        remediation: c.remediation ?? t.remediation,
        test_info: [c.remediation ?? ''],
        status,
        scored: c.scored ?? true,
        type: c.type ?? '',
      };
    });
    const n = (s: string) => results.filter((r) => r.status === s).length;
    return { section: g.id, type: '', pass: n('PASS'), fail: n('FAIL'), warn: n('WARN'), info: n('INFO'), desc: g.text, results };
  });
  const all = tests.flatMap((g) => g.results);
  const n = (s: string) => all.filter((r) => r.status === s).length;
  const report: KubeBenchJsonReport = {
    Controls: [
      {
        id: '3',
        version: benchmark,
        detected_version: '1.33',
        text: 'Worker Node Security Configuration',
        node_type: 'node',
        tests,
        total_pass: n('PASS'),
        total_fail: n('FAIL'),
        total_warn: n('WARN'),
        total_info: n('INFO'),
      },
    ],
    Totals: { total_pass: n('PASS'), total_fail: n('FAIL'), total_warn: n('WARN'), total_info: n('INFO') },
  };
  return JSON.stringify(report);
}

export async function parseFigure(): Promise<Record<string, Figure>> {
  const text = realisticNodeOutput();
  const ours = timePerCall(() => parseKubeBenchOutput(text, 'bench'), 2000);
  const base = timePerCall(() => JSON.parse(text), 2000);
  return {
    'parse.vs_json_parse': ratioFigure(
      ours,
      base,
      'µs per node output',
      2.0,
      `aks-1.8 node output of ${text.length} bytes (every check of cfg/aks-1.8/node.yaml, the kubelet checks carrying an AKS kubelet command line); baseline: JSON.parse of the same text`,
    ),
  };
}
