"""The deployment files: the systemd unit, the Dockerfile and compose.yaml.

The unit is checked by `systemd-analyze verify` where it exists, the image is built where a Docker
engine answers; both skip with the reason otherwise. The rest needs neither."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "lianxin.service"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
INSTALL_DIR = "/srv/lianxin"  # where the unit expects the project
SECRET_SETTINGS = ("BOT_TOKEN", "WEBHOOK_SECRET", "POSTGRES_PASSWORD")
TOKEN_SHAPED = re.compile(r"\d{3,}:[A-Za-z0-9_-]{10,}")


# --- the systemd unit --------------------------------------------------------------------------------


def unit_entries(text: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections and their `Key=value` lines, in order (systemd allows a key more than once)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None and "=" in line, f"not a unit-file line: {raw!r}"
        key, value = line.split("=", 1)
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def test_the_unit_runs_the_bot_and_restarts_it_unless_the_settings_are_wrong() -> None:
    unit = unit_entries(UNIT.read_text(encoding="utf-8"))
    assert set(unit) == {"Unit", "Service", "Install"}
    service = unit["Service"]
    assert values(service, "ExecStart") == [f"{INSTALL_DIR}/.venv/bin/python -m bot run"]
    assert values(service, "WorkingDirectory") == [INSTALL_DIR]
    # exit code 3 (Telegram unreachable) and 4 (database unreachable) are failures, restarted after a pause;
    # 2 (wrong settings) would fail the same way every time
    assert values(service, "Restart") == ["on-failure"]
    assert values(service, "RestartSec") and int(values(service, "RestartSec")[0]) >= 5
    prevented = " ".join(values(service, "RestartPreventExitStatus")).split()
    assert "2" in prevented and "3" not in prevented and "4" not in prevented
    assert not values(service, "SuccessExitStatus")
    # a burst of restarts while Telegram is blocked must not make systemd give up
    assert values(unit["Unit"], "StartLimitIntervalSec") == ["0"]
    # the journal, a user of its own, the bot's own .env (systemd's EnvironmentFile reads it differently)
    assert values(service, "StandardOutput") == ["journal"] and values(service, "StandardError") == ["journal"]
    assert values(service, "User") == ["lianxin"] and values(service, "Group") == ["lianxin"]
    assert not values(service, "EnvironmentFile")
    assert values(unit["Install"], "WantedBy") == ["multi-user.target"]


def verify(unit_text: str, folder: Path) -> tuple[list[str], str]:
    """`systemd-analyze verify` on this text as `lianxin.service`: the unit file's own problems, and all it said."""
    path = folder / "lianxin.service"
    path.write_text(unit_text, encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "SYSTEMD_LOG_COLOR": "0", "LANG": "C.UTF-8"})
    output = result.stdout + result.stderr
    # systemd names the unit file (`…/lianxin.service:12: Unknown key …`) or the unit (`lianxin.service: …`) for
    # problems of its own; what it says about other units on this machine is none of our business
    ours = [line for line in output.splitlines() if re.match(rf"^(?:{re.escape(str(path))}:\d+|lianxin\.service):", line)]
    return ours, output


def runnable_copy() -> str:
    """The unit with the paths of this checkout: this Python, this folder (the user is left as it is:
    verify does not look it up)."""
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace(f"{INSTALL_DIR}/.venv/bin/python", sys.executable)
    return text.replace(INSTALL_DIR, str(ROOT))


needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze is not installed on this machine")


@needs_systemd_analyze
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    problems, output = verify(runnable_copy(), tmp_path)
    assert problems == [], f"systemd-analyze verify found problems in the unit:\n{output}"


@needs_systemd_analyze
def test_the_unit_check_sees_a_broken_unit(tmp_path: Path) -> None:
    """The check above is only worth something if it notices mistakes in this systemd's wording."""
    broken = runnable_copy().replace("[Service]\n", "[Service]\nRestartz=always\n").replace(
        "RestartSec=", "RestartSec=soon\n#RestartSec=") + "\n[Servise]\nUser=nobody\n"
    problems, output = verify(broken, tmp_path)
    joined = "\n".join(problems)
    assert "Restartz" in joined and "Servise" in joined and "soon" in joined, output


# --- the Dockerfile ----------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments left out."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
                                            if not line.lstrip().startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip() if " " in line.strip() else "")
            for line in joined.splitlines() if line.strip()]


def test_the_dockerfile_installs_the_bot_with_its_data_in_a_volume_and_no_secrets() -> None:
    steps = dockerfile_instructions()
    first = [args for kind, args in steps if kind == "FROM"]
    assert first == ["python:3.11-slim-bookworm"]
    assert steps[-1] == ("CMD", '["python", "-m", "bot", "run"]')
    assert ("VOLUME", '["/data"]') in steps
    env = " ".join(args for kind, args in steps if kind == "ENV")
    assert "LIANXIN_HOME=/data" in env
    # the user the bot runs as is not root
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    # nothing secret is baked into the image
    settings_lines = " ".join(args for kind, args in steps if kind in ("ENV", "ARG"))
    assert not [s for s in SECRET_SETTINGS if s in settings_lines]
    assert not TOKEN_SHAPED.search(DOCKERFILE.read_text(encoding="utf-8"))
    # every file it copies is in the repository, and the settings file is not among them
    for kind, args in steps:
        if kind == "COPY":
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not source.startswith(".env")
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored and ".venv/" in ignored


# the PostgreSQL client versions a Debian release's own archive carries (the base image's apt sources)
DEBIAN_POSTGRESQL_CLIENTS = {"bookworm": {15}, "trixie": {17}}


def compose_server_major() -> int:
    image = compose()["services"]["db"]["image"]
    found = re.fullmatch(r"postgres:(\d+)[\w.-]*", image)
    assert found, f"compose.yaml's db image names no major version: {image}"
    return int(found.group(1))


def test_the_image_has_the_pg_dump_of_the_compose_server() -> None:
    """`python -m bot db backup` on PostgreSQL runs the pg_dump of the server's major version (bot/backup.py:
    pg_tool): the image installs that client, from its Debian release's own archive, apt's lists removed."""
    major = compose_server_major()
    steps = dockerfile_instructions()
    (base,) = [args for kind, args in steps if kind == "FROM"]
    release = re.fullmatch(r"python:[\d.]+-slim-(\w+)", base)
    assert release, f"the base image names no Debian release, so its PostgreSQL client can change under us: {base}"
    assert major in DEBIAN_POSTGRESQL_CLIENTS[release.group(1)], (base, major)
    runs = " ".join(args for kind, args in steps if kind == "RUN")
    assert re.search(rf"apt-get install [^&]*--no-install-recommends [^&]*\bpostgresql-client-{major}\b", runs), runs
    assert "rm -rf /var/lib/apt/lists/*" in runs


def docker_engine() -> str | None:
    """Why the image cannot be built here, or None when a Docker engine answers."""
    if shutil.which("docker") is None:
        return "the docker command is not installed"
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return "docker info did not answer within 30 s"
    if info.returncode != 0:
        return "no Docker engine answers (docker info failed): only the client is installed, or the daemon is down"
    return None


def test_the_image_builds_and_runs_the_cli() -> None:
    reason = docker_engine()
    if reason is not None:
        pytest.skip(reason)
    tag = f"lianxin-test:{uuid.uuid4().hex[:12]}"
    build = subprocess.run(["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    try:
        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(["docker", "run", "--rm", tag, *args], capture_output=True, text=True, timeout=300)

        help_text = run("python", "-m", "bot", "-h")
        assert help_text.returncode == 0 and "members" in help_text.stdout, help_text.stderr
        # the schema's migrations are found, and the SQLite database lands in the volume
        upgraded = run("python", "-m", "bot", "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert "/data/" in upgraded.stderr
        # db backup on PostgreSQL: the server's pg_dump and pg_restore are there
        for tool in ("pg_dump", "pg_restore"):
            version = run(tool, "--version")
            assert f"(PostgreSQL) {compose_server_major()}." in version.stdout, version.stdout + version.stderr
        # no token in the image: `run` stops at once with exit code 2 and says where to put one
        started = run()
        assert started.returncode == 2 and "BOT_TOKEN" in started.stderr, started.stderr
    finally:
        subprocess.run(["docker", "image", "rm", "-f", tag], capture_output=True, timeout=120)


# --- compose.yaml ------------------------------------------------------------------------------------


def light_yaml(text: str) -> object:
    """The block-style YAML compose.yaml is written in: mappings, `- ` lists, JSON-style flow lists,
    quoted or plain scalars, whole-line comments. Enough to read our own file without PyYAML."""
    lines = [(len(line) - len(line.lstrip(" ")), line.strip()) for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]

    def scalar(value: str) -> object:
        if value.startswith("["):
            return json.loads(value)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            return value[1:-1]
        return int(value) if value.isdigit() else value

    def block(i: int, indent: int) -> tuple[object, int]:
        if lines[i][1].startswith("- "):
            items = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                items.append(scalar(lines[i][1][2:].strip()))
                i += 1
            return items, i
        mapping: dict[str, object] = {}
        while i < len(lines) and lines[i][0] == indent:
            key, _, rest = lines[i][1].partition(":")
            rest = rest.strip()
            i += 1
            if rest:
                mapping[key] = scalar(rest)
            elif i < len(lines) and lines[i][0] > indent:
                mapping[key], i = block(i, lines[i][0])
            else:
                mapping[key] = None
        return mapping, i

    parsed, end = block(0, 0)
    assert end == len(lines), f"light_yaml stopped at line {lines[end][1]!r}"
    return parsed


def compose() -> dict:
    text = COMPOSE.read_text(encoding="utf-8")
    parsed = light_yaml(text)
    try:
        import yaml
    except ImportError:
        return parsed  # type: ignore[return-value]
    assert yaml.safe_load(text) == parsed, "light_yaml reads compose.yaml differently from PyYAML"
    return parsed  # type: ignore[return-value]


def test_compose_runs_the_bot_and_postgresql_with_named_volumes() -> None:
    spec = compose()
    assert set(spec["services"]) == {"bot", "db"}
    assert set(spec["volumes"]) == {"bot-data", "db-data"}
    db, bot = spec["services"]["db"], spec["services"]["bot"]
    assert db["image"] == "postgres:15"
    assert db["volumes"] == ["db-data:/var/lib/postgresql/data"]
    assert bot["build"] == "." and bot["volumes"] == ["bot-data:/data"]
    assert bot["env_file"] in (".env", [".env"])
    assert "db" in bot["depends_on"]
    url = bot["environment"]["DATABASE_URL"]
    assert re.fullmatch(r"postgresql\+psycopg://lianxin:\$\{POSTGRES_PASSWORD[^}]*\}@db:5432/lianxin", url), url
    assert db["environment"]["POSTGRES_USER"] == "lianxin" and db["environment"]["POSTGRES_DB"] == "lianxin"


def test_compose_writes_no_secret() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    spec = compose()
    assert not TOKEN_SHAPED.search(text)
    for name, service in spec["services"].items():
        environment = service.get("environment") or {}
        for key in ("BOT_TOKEN", "WEBHOOK_SECRET"):
            assert key not in environment, f"{name} writes {key}: it belongs in .env"
        password = environment.get("POSTGRES_PASSWORD")
        assert password is None or password.startswith("${POSTGRES_PASSWORD"), f"{name} writes a password"


def test_compose_config_is_accepted_by_docker_compose(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.skip("the docker command is not installed")
    version = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    if version.returncode != 0:
        pytest.skip("the docker compose plugin is not installed")
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    env = (ROOT / ".env.example").read_text(encoding="utf-8").replace("# POSTGRES_PASSWORD=", "POSTGRES_PASSWORD=")
    (tmp_path / ".env").write_text(env.replace("POSTGRES_PASSWORD=请换成只含字母和数字的长密码",
                                               "POSTGRES_PASSWORD=abc123abc123abc123"), encoding="utf-8")
    checked = subprocess.run(["docker", "compose", "config", "--quiet"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
