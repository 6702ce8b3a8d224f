#!/usr/bin/env bash
# The logic of akhound's CI integrations, kept here (not in YAML) so tests run it outside CI:
#   akhound-ci.sh github-scan     the GitHub Action's scan step (action.yml)
#   akhound-ci.sh github-result   the GitHub Action's last step: the job's exit status
#   akhound-ci.sh gitlab          the GitLab job (hooks/ci/gitlab-ci.yml)
#   akhound-ci.sh cache-key DIR   a hash of akhound's sources in DIR (the build cache key)
# Each scans what the push or the merge/pull request introduces. A shallow checkout is deepened
# (or the base fetched) until the range is whole, never replaced by a scan of everything; a new
# branch is compared with the default branch, fetched when the clone lacks it.
set -uo pipefail
Z=0000000000000000000000000000000000000000
AKHOUND=${AKHOUND:-akhound}

note() { echo "akhound-ci: $*" >&2; }
is_zero() { [ -z "${1//0/}" ]; }
have_commit() { git cat-file -e "$1^{commit}" 2>/dev/null; }
shallow() { [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; }

# Deepens a shallow clone until a and b have a merge base (so the range's boundary is known).
deepen_until_merge_base() { # A B
  shallow || return 0
  local d
  for d in 10 100 1000; do
    git merge-base "$1" "$2" >/dev/null 2>&1 && return 0
    note "deepening the shallow clone by $d commits to reach the merge base"
    git fetch -q --no-tags --deepen="$d" origin "$2" 2>/dev/null || break
  done
  git merge-base "$1" "$2" >/dev/null 2>&1 && return 0
  note "fetching the rest of the history to reach the merge base"
  git fetch -q --no-tags --unshallow origin "$2" 2>/dev/null || true
}

# Fetches the default branch into refs/remotes/origin/NAME (a single-branch CI clone lacks it).
fetch_default_branch() { # NAME HEAD
  local ref=refs/remotes/origin/$1
  if ! git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
    note "fetching the default branch $1 to compare the new branch with"
    git fetch -q --no-tags --depth=1 origin "+refs/heads/$1:$ref" 2>/dev/null ||
      { note "cannot fetch $1: the whole branch is scanned"; return 0; }
  fi
  deepen_until_merge_base "$ref" "$2"
}

# Prints the range to scan: BASE..HEAD with BASE present and the history between whole, or an
# all-zero base (a new branch: what no remote-tracking ref reaches; akhound says so).
prepare_range() { # BASE HEAD DEFAULT_BRANCH
  local base=$1 head=$2 default=$3
  # a pull request's head may not be in a depth-1 checkout of the merge commit
  have_commit "$head" || git fetch -q --no-tags --depth=1 origin "$head" 2>/dev/null || true
  if [ -n "$base" ] && ! is_zero "$base"; then
    have_commit "$base" || git fetch -q --no-tags --depth=1 origin "$base" 2>/dev/null || true
    if have_commit "$base"; then
      deepen_until_merge_base "$base" "$head"
      echo "$base..$head"
      return
    fi
    note "the base $base cannot be fetched (history rewritten?): scanning as a new branch"
  fi
  [ -n "$default" ] && fetch_default_branch "$default" "$head"
  echo "$Z..$head"
}

# The machine report to FILE (its exit code decides), then the same range as text for the log.
scan_to() { # RANGE FORMAT FILE
  local rc
  "$AKHOUND" scan --range "$1" --format "$2" --output "$3" ${FAIL_ON:+--fail-on "$FAIL_ON"} .
  rc=$?
  "$AKHOUND" scan --range "$1" --format text --color never --quiet . >&2
  return "$rc"
}

github_scan() {
  : "${GITHUB_OUTPUT:?}" "${RUNNER_TEMP:?}"
  local range=${RANGE:-} base head upload=${UPLOAD_SARIF:-true} sarif=$RUNNER_TEMP/akhound.sarif rc
  if [ -z "$range" ]; then
    case ${EVENT:-} in
      pull_request | pull_request_target) base=${PR_BASE:-} head=${PR_HEAD:-$SHA} ;;
      *) base=${PUSH_BEFORE:-} head=${SHA:-HEAD} ;;
    esac
    range=$(prepare_range "$base" "$head" "${DEFAULT_BRANCH:-}")
  fi
  if [ "$upload" = true ] && [ -n "${HEAD_REPO:-}" ] && [ "$HEAD_REPO" != "${BASE_REPO:-}" ]; then
    # a fork's pull request gets a read-only token: the upload would fail the job for nothing
    echo "::notice::akhound: pull request from the fork $HEAD_REPO: the SARIF report is not uploaded (no security-events: write); the findings are in this log"
    upload=false
  fi
  scan_to "$range" sarif "$sarif"
  rc=$?
  { echo "sarif=$sarif"; echo "rc=$rc"; echo "upload=$upload"; echo "range=$range"; } >>"$GITHUB_OUTPUT"
  return 0 # the upload step runs before the verdict: github-result decides
}

github_result() {
  case ${RC:-2} in
    0) echo "akhound: no AccessKey found" ;;
    1 | 3)
      echo "::error::akhound found Alibaba Cloud AccessKeys (exit ${RC}; see the report above)"
      [ "${FAIL_ON_FINDINGS:-true}" = true ] && return "$RC"
      echo "akhound: fail-on-findings is false: the job passes" ;;
    *)
      echo "::error::akhound: the scan failed or was incomplete (exit ${RC:-unknown})"
      return 2 ;;
  esac
}

gitlab() {
  local base=${CI_MERGE_REQUEST_DIFF_BASE_SHA:-${CI_COMMIT_BEFORE_SHA:-}} range
  range=$(prepare_range "$base" "${CI_COMMIT_SHA:-HEAD}" "${CI_DEFAULT_BRANCH:-}")
  scan_to "$range" gitlab "${AKHOUND_REPORT:-gl-secret-detection-report.json}"
}

cache_key() { # DIR
  (cd "$1" && find Makefile scanner patterns hooks -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-32)
}

case ${1:-} in
  github-scan) github_scan ;;
  github-result) github_result ;;
  gitlab) gitlab ;;
  cache-key) cache_key "${2:?directory}" ;;
  *) echo "usage: $0 github-scan|github-result|gitlab|cache-key DIR" >&2; exit 2 ;;
esac
