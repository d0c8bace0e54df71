// Types for scripts/stage-package.mjs (plain JavaScript so that azd's hook runs it with node alone).
export interface StagedPackage {
  out: string;
  bytes: number;
  files: number;
  /** Each production dependency's bytes in the staged folder, largest first. */
  dependencies: { name: string; bytes: number }[];
}
export const REPO_ROOT: string;
export const DEFAULT_OUT: string;
export const DEV_ONLY_DIST: string[];
export const NOT_RUN: RegExp;
export function productionPackages(root?: string): { key: string; optional: boolean }[];
export function stagePackage(options?: { root?: string; out?: string }): StagedPackage;
export function summarise(out: string): StagedPackage;
export function zipFolder(dir: string, file?: string): number;
