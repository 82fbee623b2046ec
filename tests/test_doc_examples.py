"""Every YAML and shell example in README.md and docs/**/*.md is run (issue 14).

- A YAML case example validates against the schema; a complete one (cors + preflights, or steps)
  runs against the embedded reference in both dialects and passes.
- A targets.yaml example (a `targets:` mapping, or entries of one shown on their own) loads with
  the targets loader.
- A document's shell blocks run in order in one workspace: lines starting with `oss-conformance`
  or `python3 -m conformance` (also after `&&`) run for real and must exit 0; an `export` line
  sets the environment of the rest of its block; anything else (pip, pytest) is left to the
  reader. A named `--target` is an embedded reference of the dialect the docs give it, an
  `--endpoint` off loopback gets `--dry-run`, `serve` starts in the background, and port 9000
  becomes a free one.
- A block after `<!-- not-run: reason -->` is skipped with that reason; keep those few.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conformance.cases import parse_case
from conformance.reference import ReferenceServer
from conformance.targets_file import load_targets

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
EXAMPLE = REPO / "docs" / "examples" / "checkout-upload.yaml"
FENCE = re.compile(r"(?:<!-- not-run: (?P<why>[^>]*?) -->\s*\n)?```(?P<lang>\w*)\n(?P<body>.*?)```",
                   re.S)
DEV = {"oss-conformance-dev": "oss-conformance-dev-secret"}
SHELLS = {"bash", "sh", "shell"}
OURS = (["oss-conformance"], ["python3", "-m", "conformance"], ["python", "-m", "conformance"])
TIMEOUT_S = 300


def blocks(langs: set[str]):
    """(document, line, body, reason not to run or None) of every fenced block in langs."""
    for doc in DOCS:
        for lang, line, body, why in fenced(doc.read_text(encoding="utf-8")):
            if lang in langs:
                yield doc, line, body, why


def fenced(text: str):
    """(language, line of the fence, body, not-run reason or None) of each fenced block."""
    for m in FENCE.finditer(text):
        yield m["lang"], text.count("\n", 0, m.start("body")), m["body"], m["why"]


def _id(doc: Path, line: int) -> str:
    return f"{doc.relative_to(REPO)}:{line}"


def yaml_params(kind: str):
    for doc, line, body, why in blocks({"yaml"}):
        try:
            data = yaml.safe_load(body)
        except yaml.YAMLError:
            data = None
        is_case = isinstance(data, dict) and "title" in data
        is_targets = not is_case and _as_targets(body) is not None
        if (kind == "case" and is_case) or (kind == "targets" and is_targets):
            marks = [pytest.mark.skip(reason=why)] if why else []
            yield pytest.param(body, id=_id(doc, line), marks=marks)


def _as_targets(body: str) -> str | None:
    """The block as a whole targets.yaml: as written, or entries indented under `targets:`."""
    text = body if body.startswith("targets:") else "targets:\n" + body
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    entries = data.get("targets") if isinstance(data, dict) else None
    if isinstance(entries, dict) and all(isinstance(v, dict) and "endpoint" in v
                                         for v in entries.values()):
        return text
    return None


# --- YAML ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", list(yaml_params("case")))
def test_a_case_example_validates_and_passes_on_both_references(body, tmp_path):
    case = parse_case(body, "example.yaml")
    assert case.preflights
    path = tmp_path / "example.yaml"
    path.write_text(body, encoding="utf-8")
    for dialect in ("oss", "s3"):
        code, out = _conformance(["run", str(path), "--dialect", dialect, "-q",
                                  "--reports", str(tmp_path / dialect)], tmp_path, _clean_env())
        assert code == 0, f"[{dialect}] exit {code}\n{out[-3000:]}"


@pytest.mark.parametrize("body", list(yaml_params("targets")))
def test_a_targets_example_loads(body, tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(_as_targets(body) or "", encoding="utf-8")
    assert load_targets(path)


def test_the_tutorial_shows_its_example_file_exactly():
    shown = [b for d, _, b, _ in blocks({"yaml"}) if d.name == "tutorial.md"]
    kept = "".join(line for line in EXAMPLE.read_text(encoding="utf-8").splitlines(True)
                   if not line.startswith("#"))
    assert kept in shown


def test_the_example_case_can_fail(tmp_path):
    """The run that proves the tutorial's case passes would notice a target that grants `*`."""
    broken = EXAMPLE.read_text().replace("allowed_origins: [https://shop.example.com]",
                                         'allowed_origins: ["*"]')
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    code, out = _conformance(["run", str(path), "-q", "--reports", str(tmp_path / "r")],
                             tmp_path, _clean_env())
    assert code == 1, out[-2000:]
    assert "another site is refused[oss]" in out


def test_a_block_marked_not_run_is_skipped_with_its_reason():
    text = ("Part of a case:\n<!-- not-run: a fragment of the case above -->\n"
            "```yaml\nexpect: {status: 200}\n```\n\n```bash\noss-conformance run\n```\n")
    assert [(lang, line, why) for lang, line, _, why in fenced(text)] == [
        ("yaml", 3, "a fragment of the case above"), ("bash", 7, None)]


def test_every_document_with_examples_is_seen():
    docs = {_id(d, 0).split(":")[0] for d, _, _, _ in blocks({"yaml", *SHELLS})}
    assert {"README.md", "docs/tutorial.md", "docs/guides/nightly-regression.md"} <= docs


# --- shell ---------------------------------------------------------------------------------------

def shell_docs():
    seen: dict[Path, list[tuple[int, str]]] = {}
    for doc, line, body, why in blocks(SHELLS):
        if not why:
            seen.setdefault(doc, []).append((line, body))
    return [pytest.param(doc, found, id=str(doc.relative_to(REPO))) for doc, found in seen.items()]


@pytest.fixture(scope="module")
def references():
    """An embedded reference per dialect, standing in for every target the docs name."""
    servers = {d: ReferenceServer(credentials=DEV, dialect=d).start() for d in ("oss", "s3")}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def seeded(references, tmp_path_factory):
    """A results.json of this workspace's corpus on the OSS reference: the docs' baselines."""
    folder = tmp_path_factory.mktemp("seed")
    workspace = _workspace(folder / "ws", references)
    code, out = _conformance(["run", "--target", "prod", "-q", "--reports", "seed"], workspace,
                             _clean_env(workspace))
    assert code == 0, out[-3000:]
    return workspace / "seed" / "results.json"


@pytest.mark.parametrize(("doc", "found"), shell_docs())
def test_the_shell_examples_of_a_document_run(doc, found, references, seeded, tmp_path):
    workspace = _workspace(tmp_path / "ws", references)
    port, started = str(_free_port()), []
    try:
        for line, body in found:
            env = _clean_env(workspace)  # an export holds for the rest of its own block only
            for command in _commands(body, port):
                where = f"{doc.name}:{line}: {shlex.join(command)}"
                if command[0] == "export":
                    env.update(a.split("=", 1) for a in command[1:] if "=" in a)
                elif command[1:2] == ["serve"]:
                    started.append(_serve(command, workspace, env, port))
                else:
                    _earlier_results(command, workspace, seeded)
                    code, out = _conformance(command[1:], workspace, env)
                    assert code == 0, f"{where} exited {code}\n{out[-3000:]}"
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=10)


def _commands(body: str, port: str):
    """Our commands of a block, as `conformance ARGS` lists, and its `export` lines."""
    for raw in body.replace("\\\n", " ").splitlines():
        words = shlex.split(raw.replace("9000", port), comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            command, words = words[:cut], words[cut + 1:]
            if command[:1] == ["export"]:
                yield command
            for prefix in OURS:
                if command[:len(prefix)] == prefix:
                    yield _offline(["conformance", *command[len(prefix):]])


def _earlier_results(command: list[str], workspace: Path, seeded: Path) -> None:
    """A results.json the docs assume an earlier run left (a baseline, last night's run)."""
    for arg in command:
        path = workspace / arg
        if arg.endswith("results.json") and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(seeded, path)


def _offline(command: list[str]) -> list[str]:
    """A run or certify against a remote endpoint only prints its plan."""
    if "--endpoint" in command and "--dry-run" not in command:
        url = command[command.index("--endpoint") + 1]
        if not re.match(r"https?://(127\.0\.0\.1|localhost)[:/]", url):
            return [*command, "--dry-run"]
    return command


def _workspace(folder: Path, references: dict[str, ReferenceServer]) -> Path:
    """A checkout-like folder: a small corpus, docs and expectations, and a targets.yaml."""
    folder.mkdir(parents=True)
    shutil.copytree(REPO / "cases" / "preflight", folder / "cases" / "preflight")
    shutil.copytree(REPO / "docs" / "examples", folder / "docs" / "examples")
    shutil.copytree(REPO / "expectations", folder / "expectations")
    dialects = {"prod": "oss"}
    for _, _, body, _ in blocks({"yaml"}):
        text = _as_targets(body)
        if text:
            dialects.update({n: t["dialect"] for n, t in yaml.safe_load(text)["targets"].items()})
    entries = {name: {"endpoint": references[d].endpoint, "dialect": d}
               for name, d in dialects.items()}
    (folder / "targets.yaml").write_text(yaml.safe_dump({"targets": entries}), encoding="utf-8")
    return folder


def _clean_env(workspace: Path | None = None) -> dict[str, str]:
    """No credentials (loopback targets then use the development pair); state kept aside."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OSS_", "AWS_", "CONFORMANCE_"))}
    if workspace:
        env["CONFORMANCE_TARGETS"] = str(workspace / "targets.yaml")
        env["CONFORMANCE_STATE_DIR"] = str(workspace / "state")
    return env


def _conformance(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    return done.returncode, done.stdout + done.stderr


def _serve(command: list[str], cwd: Path, env: dict[str, str], port: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", *command], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=0.5).close()
            return process
        except OSError:
            assert process.poll() is None, f"serve exited {process.returncode}"
            time.sleep(0.1)
    process.terminate()
    raise AssertionError(f"serve never listened on {port}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
