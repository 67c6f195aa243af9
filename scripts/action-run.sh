#!/usr/bin/env bash
# The logic of the GitHub Action (action.yml), kept in a script so that it runs, and is tested,
# outside GitHub too (tests/integrations.rs).
#
#   action-run.sh cache-key   writes `key=…` (the installed binary's cache key) to $GITHUB_OUTPUT
#   action-run.sh             lints: annotations on stdout, a job summary in $GITHUB_STEP_SUMMARY,
#                             optionally a SARIF report; exits with daemonlint's exit code
#
# Inputs arrive as environment variables (action.yml maps them): INPUT_PATHS (separated by
# spaces or new lines), INPUT_FORMAT, INPUT_FAIL_ON, INPUT_CONFIG, INPUT_SARIF_FILE,
# INPUT_UPLOAD_SARIF. GitHub sets GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_OUTPUT,
# GITHUB_STEP_SUMMARY and RUNNER_TEMP. DAEMONLINT_BIN overrides the binary (default: from PATH).
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
output=${GITHUB_OUTPUT:-/dev/null}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi
}

cache_key() {
  local version hash
  version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)
  # The content of everything the binary is built from: a new action version, a new key.
  hash=$(cd "$action_path" &&
    find Cargo.toml Cargo.lock build.rs src rules -type f -print0 2>/dev/null |
    LC_ALL=C sort -z | xargs -0 cat | sha256 | cut -c1-16)
  echo "key=daemonlint-${RUNNER_OS:-local}-${RUNNER_ARCH:-any}-$version-$hash" >>"$output"
}

run() {
  local bin=${DAEMONLINT_BIN:-daemonlint}
  local format=${INPUT_FORMAT:-github}
  local sarif_file=${INPUT_SARIF_FILE:-}
  local -a paths args
  cd "${GITHUB_WORKSPACE:-.}"
  IFS=$' \t\n' read -r -d '' -a paths <<<"${INPUT_PATHS:-.}" || true
  [ "${#paths[@]}" -gt 0 ] || paths=(.)
  args=(--fail-on "${INPUT_FAIL_ON:-warning}")
  if [ -n "${INPUT_CONFIG:-}" ]; then
    args+=(--config "$INPUT_CONFIG")
  fi
  if [ -z "$sarif_file" ] && [ "${INPUT_UPLOAD_SARIF:-false}" = true ]; then
    sarif_file="${RUNNER_TEMP:-.}/daemonlint.sarif"
  fi
  if [ -n "$sarif_file" ]; then
    # The report for code scanning: every finding, whatever the threshold; the log gets the
    # concise format, which is not needed here.
    rm -f "$sarif_file"
    "$bin" check --format sarif --output-file "$sarif_file" "${args[@]}" --exit-zero -- "${paths[@]}" >/dev/null || true
    if [ ! -f "$sarif_file" ]; then
      echo "::warning title=daemonlint::no SARIF report was written to $sarif_file"
      sarif_file=""
    fi
  fi
  local status=0
  "$bin" check --format "$format" "${args[@]}" -- "${paths[@]}" || status=$?
  {
    echo "exit-code=$status"
    echo "sarif-file=$sarif_file"
  } >>"$output"
  exit "$status"
}

case "${1:-run}" in
  cache-key) cache_key ;;
  run) run ;;
  *)
    echo "usage: $0 [run|cache-key]" >&2
    exit 2
    ;;
esac
