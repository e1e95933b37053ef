"""What a deployment is made of, checked without a cluster or a registry: the nginx config that `make serve`
renders (nginx itself tests it), the Kubernetes manifests (kubernetes-validate against the API's schemas) and the
Dockerfile (what it copies exists; its port and health check agree with the manifests); and `make serve`'s
script, which answers through nginx and stops everything on Ctrl-C."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from euphrates.overlay import MAX_UPLOAD_BYTES
from euphrates.replicas import REPLICA_HEADER, STICKY_COOKIE, TEMP_DIRS, Replica, nginx_binary, nginx_conf
from euphrates.serve import free_port

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))
KUBERNETES_VERSION = kubernetes_validate.latest_version()


def manifests() -> dict[str, dict]:
    return {document["kind"]: document for path in MANIFESTS for document in yaml.safe_load_all(path.read_text())}


# --- nginx ---------------------------------------------------------------------------------------------------

REPLICAS = [Replica("replica-1", 9101), Replica("replica-2", 9102), Replica("replica-3", 9103)]


@pytest.mark.parametrize("replicas, with_site", [(REPLICAS, False), (REPLICAS[:1], True), ([], True)])
def test_rendered_proxy_config_passes_nginx_own_check(tmp_path, replicas, with_site):
    for name in TEMP_DIRS:
        (tmp_path / name).mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(replicas, 9100, tmp_path, site_dir=tmp_path if with_site else None))
    assert ("location /site/" in conf.read_text()) == with_site
    assert ("proxy_pass" in conf.read_text()) == bool(replicas)
    checked = subprocess.run([nginx_binary(), "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c",
                              str(conf), "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_nginx_check_catches_a_broken_config(tmp_path):
    """The check above can fail: the same config with one directive misspelt is refused."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(REPLICAS, 9100, tmp_path).replace("proxy_http_version", "proxy_http_versoin"))
    checked = subprocess.run([nginx_binary(), "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c",
                              str(conf), "-t"], capture_output=True, text=True)
    assert checked.returncode != 0 and "proxy_http_versoin" in checked.stderr


def test_proxy_config_sticks_by_cookie_upgrades_websockets_and_fails_over():
    conf = nginx_conf(REPLICAS, 9100, Path("/run/x"))
    # Each replica's readers go to it, and to the next replica only as a backup (a ring).
    for replica, following in zip(REPLICAS, REPLICAS[1:] + REPLICAS[:1]):
        block = re.search(r"upstream %s \{(.*?)\}" % replica.name, conf, re.S).group(1)
        assert f"server 127.0.0.1:{replica.port} max_fails" in block
        assert f"server 127.0.0.1:{following.port} backup;" in block
    # The cookie picks only the replicas' own upstreams; anything else is a new reader, sent round-robin.
    cookie_map = re.search(r"map \$cookie_%s \$euphrates_upstream \{(.*?)\}" % STICKY_COOKIE, conf, re.S).group(1)
    assert re.findall(r"^\s*(\S+) (\S+);", cookie_map, re.M) == (
        [("default", "euphrates_any")] + [(replica.name, replica.name) for replica in REPLICAS])
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert f"client_max_body_size {MAX_UPLOAD_BYTES // 2**20 + 1}m;" in conf
    assert "listen 127.0.0.1:9100;" in conf


def test_a_single_replica_has_no_backup():
    conf = nginx_conf(REPLICAS[:1], 9100, Path("/run/x"))
    assert "backup" not in conf


# --- Kubernetes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_manifest_is_valid_kubernetes(path):
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_validation_catches_a_misspelt_field():
    deployment = manifests()["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_manifests_wire_together():
    found = manifests()
    assert set(found) == {"Deployment", "Service", "Ingress"}
    deployment, service, ingress = found["Deployment"], found["Service"], found["Ingress"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    container = pod["spec"]["containers"][0]
    port_names = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/_stcore/health", "port": "http"}
    assert service["spec"]["ports"][0]["targetPort"] in port_names
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"name": service["spec"]["ports"][0]["name"]}}
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert annotations["nginx.ingress.kubernetes.io/session-cookie-name"] == STICKY_COOKIE
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-body-size"].rstrip("m")) * 2**20 > MAX_UPLOAD_BYTES
    env = {variable["name"] for variable in container["env"]}
    assert "STREAMLIT_SERVER_COOKIE_SECRET" in env  # one XSRF secret across pods, as `make serve` does


# --- Dockerfile ----------------------------------------------------------------------------------------------

def dockerfile() -> list[tuple[str, str]]:
    lines = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text()).splitlines()
    return [tuple(line.split(None, 1)) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_copies_what_exists_and_runs_the_app_on_the_manifests_port():
    instructions = dockerfile()
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    for instruction, argument in instructions:
        if instruction == "COPY":
            *sources, _ = argument.split()
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which is not in the repository"
                assert source not in ignored, f"Dockerfile copies {source}, which .dockerignore leaves out"
    imported = {line.split()[1].split(".")[0] for path in [ROOT / "app.py", *ROOT.glob("pages/*.py")]
                for line in path.read_text().splitlines() if line.startswith(("import ", "from "))}
    copied = {Path(source).stem for instruction, argument in instructions if instruction == "COPY"
              for source in argument.split()[:-1]}
    assert imported - {"__future__", "streamlit"} <= copied, "the app imports code the image does not copy"
    command = dict(instructions)["CMD"]
    container_port = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"][0]["ports"][0]
    assert f'"--server.port", "{container_port["containerPort"]}"' in command
    assert dict(instructions)["EXPOSE"] == str(container_port["containerPort"])
    assert any("pip install" in argument and "-r requirements.txt -c constraints.txt" in argument
               for instruction, argument in instructions if instruction == "RUN")
    pod_user = manifests()["Deployment"]["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert dict(instructions)["USER"] == str(pod_user)


# --- make serve ----------------------------------------------------------------------------------------------

def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_answers_through_nginx_and_ctrl_c_stops_all_of_it():
    port = free_port()
    serve = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "serve.py"), "--replicas", "1", "--port",
                              str(port), "--address", "127.0.0.1"], stdout=subprocess.PIPE, text=True)
    try:
        banner = serve.stdout.readline()
        replica_port = int(re.search(r"replica-1 on 127\.0\.0\.1:(\d+)", banner).group(1))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=10) as response:
            assert response.headers[REPLICA_HEADER] == "replica-1"
        serve.send_signal(signal.SIGINT)
        assert serve.wait(timeout=30) == 0
        assert not answers(port) and not answers(replica_port)
    finally:
        serve.kill()
