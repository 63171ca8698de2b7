#!/usr/bin/env bash
# Checks against the real control plane of scripts/envtest (issue 14), with the real kubectl and
# helm of scripts/envtest-build. One check per call, so that ctest reports each on its own:
#
#   real_server_test.sh CHECK
#     crd            the CRD is accepted and becomes Established
#     examples       every PartitionPolicy in policies/ and manifests/example/ (and the example
#                    Secret) is admitted by the server: apply --dry-run=server --validate=strict
#     operator-user  the operator's token authenticates as its ServiceAccount and RBAC applies:
#                    denied before manifests/rbac.yaml, allowed after
#     helm-lint      helm lint helm/pgpart                     (no server needed)
#     helm-template  helm template helm/pgpart, and the server admits what it renders
#     apply-k        kubectl apply -k manifests/ --dry-run=server, as docs/operator.md says
#     helm-install   helm install --namespace X --create-namespace puts the objects in X; helm
#                    uninstall keeps X
#     invalid        the server refuses every spec of tests/crd/invalid/ at its field, and admits
#                    tests/crd/valid/
#     start-stop     scripts/envtest itself, with a control plane of its own: start waits for a
#                    server whose exec is slow (a loaded machine) rather than calling it dead;
#                    PGPART_ENVTEST_AUDIT=1 logs each request with its user; stop stops both
#
# Environment: PGPART_ENVTEST_DIR (the run folder of scripts/envtest: the ctest fixture `kube`
# sets it), PGPART_ENVTEST_BIN. A check that needs the server FAILS when it is not running.
set -euo pipefail

readonly repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly run_dir="${PGPART_ENVTEST_DIR:-${repo_dir}/.sandbox/envtest}"
readonly bin_dir="${PGPART_ENVTEST_BIN:-${repo_dir}/build/envtest/bin}"
readonly admin_kc="${run_dir}/admin.kubeconfig"
readonly operator_kc="${run_dir}/operator.kubeconfig"
readonly crd="${repo_dir}/crds/partitionpolicies.pgpart.io.yaml"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

for b in kubectl helm; do
  [[ -x "${bin_dir}/${b}" ]] || fail "${bin_dir}/${b} missing: run scripts/envtest-build"
done
kubectl() { "${bin_dir}/kubectl" "$@"; }
helm() { "${bin_dir}/helm" "$@"; }
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# helm keeps its caches and config out of $HOME.
export HELM_CACHE_HOME="${work}/helm-cache" HELM_CONFIG_HOME="${work}/helm-config"
export HELM_DATA_HOME="${work}/helm-data"

need_server() {
  [[ -f "${admin_kc}" ]] || fail "no API server: ${admin_kc} missing (ctest fixture kube / scripts/envtest start)"
  kubectl --kubeconfig "${admin_kc}" get --raw /readyz >/dev/null ||
    fail "the API server of ${admin_kc} is not ready"
  export KUBECONFIG="${admin_kc}"
}

# Waits until the CRD is Established. Not `kubectl wait --for condition=established`: right after
# the CRD is created it has no status.conditions yet, and kubectl wait then fails at once
# (".status.conditions accessor error: <nil> is of the type <nil>"), seen on a fresh server.
wait_established() {
  local i
  for ((i = 0; i < 240; i++)); do
    [[ "$(kubectl get crd/partitionpolicies.pgpart.io \
      -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" == True ]] &&
      return 0
    sleep 0.25
  done
  fail "crd/partitionpolicies.pgpart.io not Established after 60 s"
}

install_crd() {
  kubectl apply --server-side --force-conflicts -f "${crd}" >/dev/null
  wait_established
}

# Creates namespace $1 unless it is there (checks run in parallel: AlreadyExists is fine).
ensure_namespace() {
  kubectl get namespace "$1" >/dev/null 2>&1 && return 0
  kubectl create namespace "$1" >/dev/null 2>&1 || kubectl get namespace "$1" >/dev/null
}

check_crd() {
  need_server
  kubectl apply --server-side --force-conflicts -f "${crd}"
  wait_established
  # The server serves the kind now (discovery sees it under its short name too).
  kubectl api-resources --api-group=pgpart.io -o name | grep -qx partitionpolicies.pgpart.io ||
    fail "partitionpolicies.pgpart.io not in discovery after Established"
  echo "PASS: CRD established"
}

check_examples() {
  need_server
  install_crd
  ensure_namespace envtest-examples
  local f failed=0 count=0
  for f in "${repo_dir}"/policies/*.yaml "${repo_dir}"/manifests/example/*.yaml; do
    count=$((count + 1))
    if out="$(kubectl -n envtest-examples apply --dry-run=server --validate=strict -f "${f}" 2>&1)"; then
      printf '%s\n' "${out}" | sed "s|^|  ${f#"${repo_dir}"/}: |"
    else
      failed=$((failed + 1))
      echo "REJECTED ${f#"${repo_dir}"/}:" >&2
      printf '%s\n' "${out}" | sed 's/^/  /' >&2
    fi
  done
  ((failed == 0)) || fail "${failed} of ${count} example files not admitted"
  echo "PASS: ${count} example files admitted"
}

check_operator_user() {
  need_server
  local who
  who="$(kubectl --kubeconfig "${operator_kc}" auth whoami -o jsonpath='{.status.userInfo.username} {.status.userInfo.groups}')"
  [[ "${who}" == "system:serviceaccount:pgpart-system:pgpart-operator "*'"system:serviceaccounts:pgpart-system"'* ]] ||
    fail "operator token authenticates as '${who}'"
  install_crd
  # RBAC is enforced: no binding, no right. (Another check may have bound it already: start clean.)
  kubectl delete clusterrolebinding pgpart-operator --ignore-not-found >/dev/null
  [[ "$(kubectl --kubeconfig "${operator_kc}" auth can-i list partitionpolicies.pgpart.io -A 2>/dev/null)" == no ]] ||
    fail "the operator may list PartitionPolicies without any binding: RBAC not in force"
  ensure_namespace pgpart-system # rbac.yaml may hold namespaced objects (a Role for the Lease)
  kubectl apply -f "${repo_dir}/manifests/rbac.yaml" >/dev/null
  local i ok=0
  for ((i = 0; i < 40; i++)); do # the RBAC authorizer's cache follows within a moment
    [[ "$(kubectl --kubeconfig "${operator_kc}" auth can-i list partitionpolicies.pgpart.io -A 2>/dev/null)" == yes ]] && { ok=1; break; }
    sleep 0.25
  done
  ((ok)) || fail "manifests/rbac.yaml does not let the operator list PartitionPolicies"
  [[ "$(kubectl --kubeconfig "${operator_kc}" auth can-i list secrets -A 2>/dev/null)" == no ]] ||
    fail "the operator may list Secrets"
  echo "PASS: operator token is ${who%% *}; RBAC from manifests/rbac.yaml applies"
}

check_helm_lint() {
  helm lint "${repo_dir}/helm/pgpart"
  echo "PASS: helm lint"
}

check_helm_template() {
  need_server
  install_crd
  helm template pgpart "${repo_dir}/helm/pgpart" >"${work}/rendered.yaml"
  grep -q '^kind: Deployment' "${work}/rendered.yaml" || fail "helm template rendered no Deployment"
  # The Namespace must exist for its objects to be admitted (a dry run does not create it).
  ensure_namespace pgpart-system
  kubectl apply --dry-run=server --validate=strict -f "${work}/rendered.yaml"
  echo "PASS: helm template rendered $(grep -c '^kind:' "${work}/rendered.yaml") objects, all admitted"
}

# helm install into a namespace of the user's choosing puts the namespaced objects there, and
# helm uninstall deletes no namespace (issue 14: everything landed in pgpart-system, which the
# release owned and uninstall deleted).
check_helm_install() {
  need_server
  install_crd
  local release=envtest-helm ns=envtest-helm-ns
  helm uninstall "${release}" --namespace "${ns}" >/dev/null 2>&1 || true
  helm install "${release}" "${repo_dir}/helm/pgpart" --namespace "${ns}" --create-namespace \
    --wait=false >/dev/null
  local name="${release}-pgpart-operator"
  kubectl -n "${ns}" get deployment "${name}" >/dev/null ||
    fail "the Deployment is not in ${ns}"
  kubectl -n "${ns}" get serviceaccount "${name}" >/dev/null ||
    fail "the ServiceAccount is not in ${ns}"
  if kubectl -n pgpart-system get deployment "${name}" >/dev/null 2>&1; then
    fail "the Deployment went to pgpart-system, not ${ns}"
  fi
  [[ "$(kubectl get clusterrolebinding "${name}" -o jsonpath='{.subjects[0].namespace}')" == "${ns}" ]] ||
    fail "the ClusterRoleBinding names another namespace than ${ns}"
  helm uninstall "${release}" --namespace "${ns}" >/dev/null
  [[ "$(kubectl get namespace "${ns}" -o jsonpath='{.status.phase}')" == Active ]] ||
    fail "helm uninstall deleted namespace ${ns}"
  if kubectl -n "${ns}" get deployment "${name}" >/dev/null 2>&1; then
    fail "helm uninstall left the Deployment"
  fi
  echo "PASS: helm install --namespace ${ns} puts the objects there; uninstall keeps the namespace"
}

# The server itself refuses what the operator refuses (issue 14 item 7), each at its field: every
# document of tests/crd/invalid/ (the corpus validate_policies.py checks offline and the
# operator's loader checks in tests/operator/crd_corpus_test.cc); tests/crd/valid/ is admitted.
check_invalid() {
  need_server
  install_crd
  ensure_namespace envtest-invalid
  /usr/bin/python3 "${repo_dir}/tests/envtest/corpus_check.py" "${bin_dir}/kubectl" envtest-invalid \
    "${repo_dir}" || fail "the API server's verdicts differ from tests/crd/ (above)"
  echo "PASS: the server refuses every invalid document of tests/crd/invalid/ at its field"
}

check_start_stop() {
  # Its own run folder, not the fixture's. A `setsid` first on PATH that waits 1 s before it
  # execs the real one: for that second the new pids are still a shell, which the start used to
  # take for a server that had exited ("kube-apiserver exited"), as happened under load.
  local dir="${work}/envtest" real_setsid bin="${work}/bin" name
  real_setsid="$(command -v setsid)"
  # Its own bin folder (hard links, else copies), whose binaries are replaced while they run below.
  mkdir -p "${bin}"
  for name in etcd kube-apiserver kubectl; do
    cp -l "${bin_dir}/${name}" "${bin}/" 2>/dev/null || cp "${bin_dir}/${name}" "${bin}/"
  done
  mkdir -p "${work}/slow-bin"
  printf '#!/bin/sh\nsleep 1\nexec %s "$@"\n' "${real_setsid}" >"${work}/slow-bin/setsid"
  chmod +x "${work}/slow-bin/setsid"
  # shellcheck disable=SC2064  # the paths are fixed now
  trap "PGPART_ENVTEST_BIN='${bin}' PGPART_ENVTEST_DIR='${dir}' '${repo_dir}/scripts/envtest' stop >/dev/null 2>&1; rm -rf '${work}'" EXIT
  local kc
  kc="$(PATH="${work}/slow-bin:${PATH}" PGPART_ENVTEST_BIN="${bin}" PGPART_ENVTEST_DIR="${dir}" \
    PGPART_ENVTEST_AUDIT=1 "${repo_dir}/scripts/envtest" start)" ||
    fail "scripts/envtest start failed with a slow exec"
  kubectl --kubeconfig "${kc}" get --raw /readyz >/dev/null || fail "not ready after start"
  kubectl --kubeconfig "${dir}/operator.kubeconfig" auth whoami >/dev/null 2>&1 || true
  grep -q '"username":"system:serviceaccount:pgpart-system:pgpart-operator"' "${dir}/audit.log" ||
    fail "the audit log has no request of the operator's user"
  grep -q "PGPART_ENVTEST_AUDIT_LOG='${dir}/audit.log'" "${dir}/env" ||
    fail "scripts/envtest env does not name the audit log"
  local pids
  pids="$(cat "${dir}/etcd.pid" "${dir}/kube-apiserver.pid")"
  # The binaries are rebuilt while the servers run (a new file under the same name): stop must
  # still know them as its own (it removed its run folder and left both running).
  for name in etcd kube-apiserver; do
    cp -l "${bin}/${name}" "${bin}/${name}.new" 2>/dev/null || cp "${bin}/${name}" "${bin}/${name}.new"
    rm "${bin}/${name}"
    mv "${bin}/${name}.new" "${bin}/${name}"
  done
  PGPART_ENVTEST_BIN="${bin}" PGPART_ENVTEST_DIR="${dir}" "${repo_dir}/scripts/envtest" stop \
    >/dev/null 2>&1
  local pid
  for pid in ${pids}; do
    ! kill -0 "${pid}" 2>/dev/null || fail "pid ${pid} still runs after stop"
  done
  [[ ! -e "${dir}" ]] || fail "stop left ${dir}"
  echo "PASS: start waits for a slow exec, the audit log names the users, stop stops both" \
    "(their binaries replaced meanwhile)"
}

check_apply_k() {
  need_server
  # A server-side dry run persists nothing, not even the Namespace it creates: the namespaced
  # objects would not find pgpart-system unless an earlier test had made it. Make it first.
  kubectl get namespace pgpart-system >/dev/null 2>&1 || kubectl create namespace pgpart-system >/dev/null
  kubectl apply -k "${repo_dir}/manifests/" --dry-run=server
  echo "PASS: kubectl apply -k manifests/"
}

case "${1:-}" in
  crd) check_crd ;;
  examples) check_examples ;;
  operator-user) check_operator_user ;;
  helm-lint) check_helm_lint ;;
  helm-template) check_helm_template ;;
  apply-k) check_apply_k ;;
  helm-install) check_helm_install ;;
  invalid) check_invalid ;;
  start-stop) check_start_stop ;;
  *)
    sed -n '2,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
    ;;
esac
