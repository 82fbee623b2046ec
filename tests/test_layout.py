"""The layout shows the architecture: one module per command, and imports that run one way."""

import ast
from pathlib import Path

from conformance import commands

PACKAGE = Path(__file__).resolve().parent.parent / "conformance"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _runtime_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package `name` imports when it runs (`if TYPE_CHECKING:` blocks aside)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
               and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] \
                if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            subs = {f"{target}.{a.name}" for a in node.names} & modules.keys()
            found |= subs or ({target} & modules.keys())
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names} & modules.keys()
    found.discard(name)
    return found


def test_no_module_imports_one_that_imports_it_back():
    modules = _modules()
    graph = {m: _runtime_imports(m, p, modules) for m, p in modules.items()}

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    assert sorted(m for m in graph if m in reachable(m)) == []


def test_every_command_is_its_own_module_and_never_imports_the_cli():
    modules = _modules()
    for name in commands.NAMES:
        module = f"conformance.commands.{name}"
        assert module in modules, name
        imported = _runtime_imports(module, modules[module], modules)
        assert "conformance.cli" not in imported, name
        assert hasattr(commands.module(name), "add_parser") and hasattr(
            commands.module(name), "run")
