#!/usr/bin/env bash
# The logic of the GitHub Action (action.yml), kept in a script so that it runs, and is tested,
# outside GitHub too (tests/it/integrations.rs).
#
#   action-run.sh cache-key   writes `key=…` (the cache key) and `dir=…` (where the binary goes)
#                             to $GITHUB_OUTPUT
#   action-run.sh install     puts daemonlint in that directory: from the cache when it is there,
#                             else the release archive for this runner, verified against the
#                             release's SHA256SUMS (a mismatch fails, installing nothing); only
#                             when the release has no archive for this runner, `cargo install`.
#                             Writes `bin=…` to $GITHUB_OUTPUT and the directory to $GITHUB_PATH
#   action-run.sh             lints: annotations on stdout, a job summary in $GITHUB_STEP_SUMMARY,
#                             optionally a SARIF report; exits with daemonlint's exit code
#
# Inputs arrive as environment variables (action.yml maps them): INPUT_VERSION, INPUT_PATHS
# (separated by spaces or new lines), INPUT_FORMAT, INPUT_FAIL_ON, INPUT_CONFIG,
# INPUT_SARIF_FILE, INPUT_UPLOAD_SARIF, and ACTION_REF (the ref the action was used at). GitHub
# sets GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_OUTPUT, GITHUB_PATH, GITHUB_STEP_SUMMARY,
# RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE and RUNNER_TEMP. DAEMONLINT_BIN overrides the binary
# that lints (default: from PATH); DAEMONLINT_RELEASES_URL the releases' download address,
# DAEMONLINT_CARGO the cargo of the fallback (both for the tests).
set -euo pipefail

action_path=${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}
output=${GITHUB_OUTPUT:-/dev/null}
version=""
releases=${DAEMONLINT_RELEASES_URL:-https://github.com/daemonlint/daemonlint/releases/download}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

error() {
  echo "::error title=daemonlint::$*"
  exit 1
}

# The version of the action's own checkout (its Cargo.toml).
own_version() {
  sed -n 's/^version = "\(.*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1
}

# Sets `version`, the version to install: the `version` input, else the tag the action is used
# at (`@v1.2.3`), else (a branch, a commit, a major tag such as `@v1`) the version of the
# action's checkout.
resolve_version() {
  version=${INPUT_VERSION:-}
  if [ -z "$version" ]; then
    if [[ ${ACTION_REF:-} =~ ^v?[0-9]+\.[0-9]+\.[0-9]+ ]]; then
      version=$ACTION_REF
    else
      version=$(own_version)
    fi
  fi
  version=${version#v}
  if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-.+][0-9A-Za-z.]+)?$ ]]; then
    error "the version input is not a version: \`$version\` (expected e.g. 0.2.0 or v0.2.0)"
  fi
}

# The release target built for this runner; empty when there is none.
target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    # Windows on Arm runs x64 binaries.
    Windows/X64 | Windows/ARM64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

install_dir() {
  local base=${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}
  echo "$base/daemonlint/$1/${RUNNER_OS:-local}-${RUNNER_ARCH:-any}"
}

cache_key() {
  local hash
  resolve_version
  # The content of everything the binary is built from: a new action version, a new key (the
  # fallback builds from these sources).
  hash=$(cd "$action_path" &&
    find Cargo.toml Cargo.lock build.rs build src rules -type f -print0 2>/dev/null |
    LC_ALL=C sort -z | xargs -0 cat | sha256 | cut -c1-16)
  {
    echo "key=daemonlint-${RUNNER_OS:-local}-${RUNNER_ARCH:-any}-$version-$hash"
    echo "dir=$(install_dir "$version")"
  } >>"$output"
}

# Downloads $1 to $2; prints the HTTP status (000 when there was no answer).
fetch() {
  curl --silent --show-error --location --retry 3 --connect-timeout 20 \
    --output "$2" --write-out '%{http_code}' "$1" || true
}

unpack() {
  local archive=$1 into=$2
  case $archive in
    *.zip)
      if command -v unzip >/dev/null 2>&1; then
        unzip -q "$archive" -d "$into"
      elif command -v 7z >/dev/null 2>&1; then
        7z x -bd -o"$into" "$archive" >/dev/null
      else
        pwsh -NoProfile -Command "Expand-Archive -LiteralPath '$archive' -DestinationPath '$into'"
      fi
      ;;
    *) tar -xzf "$archive" -C "$into" ;;
  esac
}

install() {
  local target dir exe=daemonlint asset url status expected actual tmp
  resolve_version
  target=$(target)
  dir=$(install_dir "$version")
  case $target in *windows*) exe=daemonlint.exe ;; esac
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.install.XXXXXX")
  # shellcheck disable=SC2064 # expanded now: $tmp is local
  trap "rm -rf '$tmp'" EXIT

  # The cache (actions/cache restored $dir): the binary whose hash was recorded at install.
  if [ -f "$dir/$exe" ] && [ -f "$dir/$exe.sha256" ] &&
    (cd "$dir" && sha256 --check --status "$exe.sha256" 2>/dev/null); then
    echo "daemonlint $version: from the cache ($dir)"
    installed "$dir" "$exe"
    return
  fi
  rm -f "$dir/$exe" "$dir/$exe.sha256"

  if [ -n "$target" ]; then
    case $target in
      *windows*) asset="daemonlint-$target.zip" ;;
      *) asset="daemonlint-$target.tar.gz" ;;
    esac
    url="$releases/v$version/$asset"
    status=$(fetch "$url" "$tmp/$asset")
    case $status in
      200)
        status=$(fetch "$releases/v$version/SHA256SUMS" "$tmp/SHA256SUMS")
        [ "$status" = 200 ] ||
          error "cannot download the checksums of daemonlint $version ($releases/v$version/SHA256SUMS: HTTP $status); nothing was installed"
        expected=$(awk -v a="$asset" '$2 == a || $2 == "*" a { print tolower($1); exit }' "$tmp/SHA256SUMS")
        [ -n "$expected" ] ||
          error "the checksums of daemonlint $version list no $asset; nothing was installed"
        actual=$(sha256 "$tmp/$asset" | cut -d' ' -f1)
        [ "$actual" = "$expected" ] ||
          error "checksum mismatch for $asset of daemonlint $version: SHA256SUMS says $expected, the download has $actual; nothing was installed"
        mkdir "$tmp/unpacked"
        unpack "$tmp/$asset" "$tmp/unpacked"
        [ -f "$tmp/unpacked/daemonlint-$target/$exe" ] ||
          error "$asset holds no daemonlint-$target/$exe; nothing was installed"
        mv "$tmp/unpacked/daemonlint-$target/$exe" "$dir/$exe"
        echo "daemonlint $version: downloaded $url (SHA-256 verified: $actual)"
        ;;
      404) echo "::warning title=daemonlint::daemonlint $version has no release archive for this runner ($url: HTTP 404); building it with cargo install, which takes minutes" ;;
      *) error "cannot download daemonlint $version ($url: HTTP $status); nothing was installed" ;;
    esac
  else
    echo "::warning title=daemonlint::daemonlint has no release archive for ${RUNNER_OS:-this OS} on ${RUNNER_ARCH:-this architecture}; building it with cargo install, which takes minutes"
  fi

  if [ ! -f "$dir/$exe" ]; then
    local cargo=${DAEMONLINT_CARGO:-cargo}
    local -a source
    if [ "$version" = "$(own_version)" ]; then
      source=(--path "$action_path")
    else
      source=(daemonlint --version "=$version")
    fi
    echo "daemonlint $version: $cargo install --locked --root $tmp/cargo ${source[*]}"
    "$cargo" install --locked --root "$tmp/cargo" "${source[@]}" ||
      error "cargo install of daemonlint $version failed"
    mv "$tmp/cargo/bin/$exe" "$dir/$exe"
  fi
  chmod +x "$dir/$exe"
  (cd "$dir" && sha256 "$exe" >"$exe.sha256")
  installed "$dir" "$exe"
}

installed() {
  echo "bin=$1/$2" >>"$output"
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$1" >>"$GITHUB_PATH"; fi
  "$1/$2" --version
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
  install) install ;;
  run) run ;;
  *)
    echo "usage: $0 [run|cache-key|install]" >&2
    exit 2
    ;;
esac
