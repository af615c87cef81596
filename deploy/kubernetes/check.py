"""Render every overlay of deploy/kubernetes/ and check it: the Kubernetes schemas accept every
object, and the invariants a rolling upgrade of the platform relies on hold.

    .venv/bin/python deploy/kubernetes/check.py          # make kubernetes-check

Needs ``kubectl`` (it renders with its built-in kustomize, no cluster) and kubernetes-validate
(the schemas of each Kubernetes release, from PyPI). The invariants:

- every container, init containers too, has CPU and memory requests and limits; every long-running
  container has startup, readiness and liveness probes;
- the web pods' grace period covers the preStop wait, uvicorn's graceful shutdown (the image's
  ``--timeout-graceful-shutdown``) and the room host's handover (``ENDINGS_SECONDS`` +
  ``STOP_SEND_SECONDS``) with ``GRACE_MARGIN`` to spare; a rolling update never takes a web pod
  away before its replacement serves (``maxUnavailable: 0``);
- the migrations run before the new version serves: a Job runs ``migrate`` as the tables' owner
  (``DATABASE_OWNER_URL``) and the serving role's grants, and the web pods wait in an init
  container until ``migrate --check`` finds nothing left;
- no secret value is in the package: no Secret object, and every variable that holds a credential
  comes from a Secret;
- Pod Security "restricted": the namespace enforces it, and every pod and container says so
  (non-root, seccomp RuntimeDefault, no privilege escalation, every capability dropped).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OVERLAYS = ("small", "managed")
# The oldest Kubernetes release the package is written for, and the newest the schemas know.
VERSIONS = ("1.30.0", "latest")
# Objects of custom resources: their schema comes with their operator, not with Kubernetes.
CUSTOM_KINDS = {"ServiceMonitor"}
GRACE_MARGIN = 10  # seconds
CREDENTIAL = re.compile(r"(SECRET|PASSWORD|TOKEN|DATABASE_URL|DATABASE_OWNER_URL|REDIS_URL)")


def render(overlay: str) -> list[dict]:
    done = subprocess.run(
        ["kubectl", "kustomize", str(HERE / "overlays" / overlay)], capture_output=True, text=True, check=True
    )
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def schema_problems(objects: list[dict], version: str) -> list[str]:
    import kubernetes_validate

    if version == "latest":
        version = kubernetes_validate.latest_version()
    problems = []
    for obj in objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{version} {obj['kind']}/{obj['metadata']['name']}: {error.message} at {list(error.path)}")
    return problems


def pod_specs(objects: list[dict]) -> list[tuple[str, dict]]:
    return [
        (f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"])
        for obj in objects
        if obj["kind"] in ("Deployment", "StatefulSet", "Job")
    ]


def handover_seconds() -> float:
    """What a stopping web process may take after SIGTERM: uvicorn's graceful shutdown (from the
    image's command), then the room host's drain."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    graceful = float(re.search(r'"--timeout-graceful-shutdown",\s*"(\d+)"', dockerfile).group(1))
    from gameplatform.rooms.host import ENDINGS_SECONDS, STOP_SEND_SECONDS

    return graceful + ENDINGS_SECONDS + STOP_SEND_SECONDS


def secret_key(variable: dict) -> str | None:
    return variable.get("valueFrom", {}).get("secretKeyRef", {}).get("key")


def invariant_problems(objects: list[dict]) -> list[str]:
    problems = []
    kinds = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    if any(kind == "Secret" for kind, _ in kinds):
        problems.append("a Secret is in the package: secrets are made by the operator, by reference here")
    namespace = next((obj for obj in objects if obj["kind"] == "Namespace"), None)
    if (
        namespace is None
        or namespace["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted"
    ):
        problems.append("the namespace does not enforce Pod Security 'restricted'")
    for name, spec in pod_specs(objects):
        security = spec.get("securityContext", {})
        if not security.get("runAsNonRoot") or security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{name}: the pod is not runAsNonRoot with seccomp RuntimeDefault")
        long_running = not name.startswith("Job/")
        for container in spec.get("initContainers", []) + spec["containers"]:
            where = f"{name} container {container['name']}"
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(resources.get(part, {})):
                    problems.append(f"{where}: no cpu and memory {part}")
            context = container.get("securityContext", {})
            if context.get("allowPrivilegeEscalation") is not False or context.get("capabilities", {}).get("drop") != [
                "ALL"
            ]:
                problems.append(f"{where}: privilege escalation allowed or capabilities kept")
            for variable in container.get("env", []):
                if CREDENTIAL.search(variable["name"]) and "value" in variable:
                    problems.append(f"{where}: {variable['name']} is written in the package, not taken from a Secret")
            if long_running and container in spec["containers"]:
                missing = [p for p in ("startupProbe", "readinessProbe", "livenessProbe") if p not in container]
                if missing:
                    problems.append(f"{where}: no {', '.join(missing)}")
    web = kinds.get(("Deployment", "web"))
    if web is None:
        return [*problems, "no web Deployment"]
    spec = web["spec"]["template"]["spec"]
    container = next(c for c in spec["containers"] if c["name"] == "web")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    slept = re.search(r"\bsleep (\d+(?:\.\d+)?)\b", " ".join(pre_stop))  # ["sleep", "5"] or ["sh", "-c", "... sleep 5"]
    waits = float(slept.group(1)) if slept else 0.0
    needed = waits + handover_seconds() + GRACE_MARGIN
    if spec.get("terminationGracePeriodSeconds", 30) < needed:
        problems.append(f"web: terminationGracePeriodSeconds under {needed:g} s (preStop, shutdown, handover, margin)")
    if web["spec"]["strategy"]["rollingUpdate"].get("maxUnavailable") != 0:
        problems.append("web: a rolling update may take a pod away before its replacement serves")
    if not any("migrate --check" in " ".join(c.get("command", [])) for c in spec.get("initContainers", [])):
        problems.append("web: no init container waits for the migrations")
    jobs = [obj for obj in objects if obj["kind"] == "Job"]
    migrating = [
        job for job in jobs
        for c in job["spec"]["template"]["spec"]["containers"]
        if "manage.py migrate" in " ".join(c.get("command", []))
        and any(secret_key(v) == "DATABASE_OWNER_URL" for v in c.get("env", []) if v["name"] == "DATABASE_URL")
        and "grant_serving_role" in " ".join(c.get("command", []))
    ]  # fmt: skip
    if not migrating:
        problems.append("no Job migrates as the tables' owner and grants the serving role")
    return problems


def check() -> list[str]:
    problems = []
    for overlay in OVERLAYS:
        objects = render(overlay)
        for version in VERSIONS:
            problems += [f"{overlay}: {p}" for p in schema_problems(objects, version)]
        problems += [f"{overlay}: {p}" for p in invariant_problems(objects)]
    return problems


def main() -> int:
    import os

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gameplatform.settings")
    django.setup()  # the room host's bounds are read from its module
    if shutil.which("kubectl") is None:
        print("kubectl is needed (it renders the kustomizations)", file=sys.stderr)
        return 2
    problems = check()
    for problem in problems:
        print(problem)
    if not problems:
        schemas = ", ".join(VERSIONS)
        print(f"deploy/kubernetes: {', '.join(OVERLAYS)} render, pass the schemas of {schemas}, hold the invariants")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
