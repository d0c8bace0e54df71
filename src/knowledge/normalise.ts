/**
 * Text and benchmark normalisation for resolving kube-bench checks to topics. Check texts differ
 * between editions in case, backticks, quoting, "isn't"/"is not", assessment suffixes and stray
 * repeated ids (the seed's "2.2.4 2.2.4 Ensure ..."), so both sides are normalised the same way.
 */

const SUFFIX = /\s*\((?:scored|not scored|automated|manual)\)\s*$/i;

export function normaliseText(text: string): string {
  let s = text.toLowerCase().replace(/\s+/g, ' ').trim();
  // The parser removes the assessment suffix; kube-bench's cfg texts and odd inputs still carry it.
  for (let i = 0; i < 2; i++) s = s.replace(SUFFIX, '').trim();
  // A leading copy of the check id, e.g. kube-bench cfg/1.8 text "2.2.4 Ensure that ...".
  s = s.replace(/^(?:\d+(?:\.\d+)+\s+)+/, '');
  s = s.replace(/n['’]t\b/g, ' not');
  s = s.replace(/[`"“”‘’'()[\]{},;!?]/g, ' ');
  // "root: root" and "root:root" are the same owner.
  s = s.replace(/\s*:\s*/g, ':');
  // "--tls-cert-file`and" leaves "--tls-cert-fileand" once backticks go: keep flags apart from words.
  s = s.replace(/(\S)--/g, '$1 --');
  s = s.replace(/\.(\s|$)/g, '$1');
  return s.replace(/\s+/g, ' ').trim();
}

/** kube-bench benchmark names as written in JSON output or by the user, e.g. "AKS-1.8 " → "aks-1.8". */
export function normaliseBenchmark(benchmark: string | null | undefined): string | null {
  if (benchmark === null || benchmark === undefined) return null;
  const b = benchmark.trim().toLowerCase();
  return b === '' ? null : b;
}
