"""The deployment files, checked offline: the Compose file against the Compose specification's schema
(vendored in deploy/schemas/), the Kubernetes manifests against the Kubernetes schemas (bundled by
kubernetes-validate), and both against the code (queues, probes, one beat)."""
import copy
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from django.conf import settings

from onestop.ops.middleware import PROBES

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
K8S_VERSION = "1.33"
MANIFESTS = sorted(p for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")


def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def compose_errors(document):
    schema = json.loads((DEPLOY / "schemas" / "compose-spec.json").read_text())
    return list(jsonschema.Draft7Validator(schema).iter_errors(document))


def k8s_documents():
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_compose_file_follows_the_compose_specification():
    assert compose_errors(compose()) == []
    broken = compose()
    broken["services"]["web"]["helthcheck"] = broken["services"]["web"].pop("deploy")
    assert compose_errors(broken), "the schema must catch a misspelt key"


@pytest.mark.parametrize("document", k8s_documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_kubernetes_manifest_is_valid(document):
    kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_kubernetes_validation_catches_a_misspelt_probe():
    deployment = copy.deepcopy(next(d for d in k8s_documents() if d["metadata"]["name"] == "onestop-web"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_kustomization_lists_existing_files():
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    assert all((DEPLOY / "k8s" / name).is_file() for name in kustomization["resources"])


def worker_queues(command):
    """The queues of a ``celery worker`` command line, or None for another command."""
    words = command if isinstance(command, list) else shlex.split(command)
    if "worker" not in words:
        return None
    return set(words[words.index("-Q") + 1].split(","))


def test_every_queue_has_workers_and_there_is_one_beat():
    queues = set(settings.ONESTOP_CELERY_QUEUES)
    services = compose()["services"]
    consumed = [worker_queues(s["command"]) for s in services.values() if "command" in s]
    consumed = [q for q in consumed if q is not None]
    assert set().union(*consumed) == queues and len(consumed) >= 3  # a group per kind of work
    beats = [s for s in services.values() if "beat" in s.get("command", [])]
    assert len(beats) == 1 and beats[0]["deploy"]["replicas"] == 1

    deployments = [d for d in k8s_documents() if d["kind"] == "Deployment"]
    commands = {d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0].get("command", [])
                for d in deployments}
    consumed = [q for q in map(worker_queues, commands.values()) if q is not None]
    assert set().union(*consumed) == queues
    [beat] = [d for d in deployments if "beat" in commands[d["metadata"]["name"]]]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    assert not any(d["kind"] == "HorizontalPodAutoscaler" and d["spec"]["scaleTargetRef"]["name"] == "onestop-beat"
                   for d in k8s_documents())


def test_kubernetes_probes_point_at_the_app_probes():
    web = next(d for d in k8s_documents() if d["metadata"]["name"] == "onestop-web" and d["kind"] == "Deployment")
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= set(PROBES)
    kinds = {d["kind"] for d in k8s_documents()}
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job",
            "ConfigMap", "Secret"} <= kinds


def test_dockerfile_runs_as_a_user_with_collected_static_and_a_healthcheck():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    [user] = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert not user.startswith(("root", "0"))
    assert "ONESTOP_COLLECTED_STATIC=1" in dockerfile and "collectstatic --noinput" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.M)
    assert "python:onestop.ops.gunicorn_conf" in dockerfile
    root = DEPLOY.parent
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (root / source).exists(), f"COPY {source}: no such file"
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text()
    assert "!onestop/**" in ignore


def test_proxies_keep_metrics_and_readiness_private():
    nginx = (DEPLOY / "nginx" / "onestop.conf").read_text()
    assert "location = /metrics { return 404; }" in nginx
    assert "X-Request-ID $request_id" in nginx
    ingress = next(d for d in k8s_documents() if d["kind"] == "Ingress")
    assert "location = /metrics { return 404; }" in ingress["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/server-snippet"]


def test_the_cluster_configuration_passes_djangos_deployment_checks(tmp_path):
    """`manage.py check --deploy` with the ConfigMap's settings and a real-looking secret key: no warning but
    HSTS for every subdomain and the preload list, which are the decision of whoever owns the whole domain."""
    [config] = [d for d in k8s_documents() if d["kind"] == "ConfigMap"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "onestop.settings",
           "ONESTOP_VAR_DIR": str(tmp_path), "SECRET_KEY": secrets.token_urlsafe(50), "ONESTOP_REQUIRE_SECRET_KEY": "1",
           **config["data"]}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"],
                            cwd=DEPLOY.parent, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    assert set(re.findall(r"\((\w+\.[EW]\d+)\)", result.stderr + result.stdout)) <= {"security.W005", "security.W021"}


def test_the_images_healthcheck_command_asks_healthz(live_server):
    """The HEALTHCHECK of the Dockerfile, run as Docker would: 0 while the app answers, 1 when it does not."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    [command] = re.findall(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", dockerfile, re.M)
    argv = [sys.executable if word == "python" else word for word in json.loads(command)]
    port = urlsplit(live_server.url).port
    assert subprocess.run(argv, env={**os.environ, "PORT": str(port)}, timeout=30).returncode == 0
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        free = closed.getsockname()[1]
    result = subprocess.run(argv, env={**os.environ, "PORT": str(free)}, capture_output=True, timeout=30)
    assert result.returncode != 0
