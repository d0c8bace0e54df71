#!/usr/bin/env bash
# Compiles and lints every Bicep entry point under infra/.
#
# The Bicep CLI comes from NuGet (Azure.Bicep.CommandLine.linux-x64), restored
# by the .NET SDK, because CI and developer machines reach package registries
# but not GitHub release downloads. The restored package is cached under
# .ci/tools/ (git-ignored), so a second run does no network I/O.
#
# Usage: .ci/bicep.sh            # install if needed, build + lint everything
#        .ci/bicep.sh --install  # install only, print the path of the CLI
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
BICEP_PACKAGE="Azure.Bicep.CommandLine.linux-x64"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="$repo_root/.ci/tools"
nuget_dir="$tools_dir/nuget"
bin_dir="$tools_dir/bicep"
bicep="$bin_dir/bicep"
stamp="$bin_dir/.version"

log() { printf '[bicep.sh] %s\n' "$*" >&2; }

install_bicep() {
  if [[ -x "$bicep" && -f "$stamp" && "$(cat "$stamp")" == "$BICEP_VERSION" ]]; then
    return 0
  fi
  command -v dotnet >/dev/null 2>&1 || { log "dotnet is required to restore $BICEP_PACKAGE from NuGet"; exit 1; }
  log "restoring $BICEP_PACKAGE $BICEP_VERSION from NuGet into .ci/tools/nuget"
  local proj_dir="$tools_dir/restore"
  mkdir -p "$proj_dir" "$nuget_dir"
  # PackageDownload fetches the package without treating it as a library
  # dependency, so the target framework only has to be one the SDK knows.
  cat >"$proj_dir/bicep-restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
    <DisableImplicitNuGetFallbackFolder>true</DisableImplicitNuGetFallbackFolder>
    <DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$BICEP_PACKAGE" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
XML
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
    timeout 600 dotnet restore "$proj_dir/bicep-restore.csproj" --packages "$nuget_dir" --verbosity quiet >&2

  local pkg_dir="$nuget_dir/$(echo "$BICEP_PACKAGE" | tr '[:upper:]' '[:lower:]')/$BICEP_VERSION"
  local found
  found="$(find "$pkg_dir" -type f -name bicep -print -quit 2>/dev/null || true)"
  [[ -n "$found" ]] || { log "no 'bicep' executable inside $pkg_dir"; exit 1; }
  # The package directory holds a self-contained app; link rather than copy so
  # any sibling files it loads stay next to it.
  chmod +x "$found"
  mkdir -p "$bin_dir"
  # Relative, so the cache survives the checkout being moved.
  ln -sfn "../nuget/${found#"$nuget_dir/"}" "$bicep"
  echo "$BICEP_VERSION" >"$stamp"
}

install_bicep
if [[ "${1:-}" == "--install" ]]; then
  echo "$bicep"
  exit 0
fi

log "$("$bicep" --version)"

cd "$repo_root"
shopt -s nullglob
# Entry points are the top-level templates; modules under infra/*/ are
# compiled through them.
entries=(infra/*.bicep)
[[ ${#entries[@]} -gt 0 ]] || { log "no Bicep files in infra/"; exit 1; }

out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT
status=0
# One CLI start per step (--pattern) rather than per file: each start costs about a second.
log "build ${entries[*]}"
if ! "$bicep" build --pattern 'infra/*.bicep' --outdir "$out_dir" 2>"$out_dir/build.log"; then status=1; fi
cat "$out_dir/build.log" >&2
for f in "${entries[@]}"; do
  out="$out_dir/$(basename "$f" .bicep).json"
  [[ -s "$out" ]] || { log "no ARM JSON for $f"; status=1; }
done
log "lint ${entries[*]}"
if ! "$bicep" lint --pattern 'infra/*.bicep' --diagnostics-format default >"$out_dir/lint.log" 2>&1; then status=1; fi
cat "$out_dir/lint.log" >&2
# Rules that should not block are set to "off" or "info" in infra/bicepconfig.json;
# anything left at warning level is meant to fail.
if grep -Eq ' : (Warning|Error) ' "$out_dir/build.log" "$out_dir/lint.log"; then status=1; fi
if [[ $status -ne 0 ]]; then
  log "FAILED"
  exit 1
fi
log "OK: ${#entries[@]} entry point(s) built and linted"
