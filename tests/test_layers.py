"""The house drawn from its imports: folders in layers, each importing only from the layers below it
(or its own), and no import cycle anywhere. Imports inside functions and for type checking count too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "toolkit"

# Lowest first. A module may import its own layer and those below it, never one above.
LAYERS = [
    ("toolkit", "toolkit.errors", "toolkit.files", "toolkit.media"),
    ("toolkit.config",),
    ("toolkit.show",),
    ("toolkit.audio",),
    ("toolkit.speech",),
    ("toolkit.content",),
    ("toolkit.publish",),
    ("toolkit.importer", "toolkit.newsletter"),
    ("toolkit.build",),
    ("toolkit.cli", "toolkit.scaffold", "toolkit.__main__"),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The toolkit modules ``name`` imports, anywhere in it."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("toolkit"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, *([base] if base else [])])
            if not base.startswith("toolkit"):
                continue
            for alias in node.names:  # `from toolkit.audio import master` imports a module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {m for m in found if m in known and m != name}


def _layer(module: str) -> int:
    best = (-1, -1)  # (length of the matching prefix, layer)
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), i)
    assert best[1] >= 0, f"{module} is in no layer: add its folder to LAYERS"
    return best[1]


def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def test_every_import_goes_down_or_stays_in_its_layer() -> None:
    upward = [f"{a} (layer {_layer(a)}) imports {b} (layer {_layer(b)})"
              for a, deps in sorted(graph().items()) for b in sorted(deps) if _layer(b) > _layer(a)]
    assert upward == []


def test_there_is_no_import_cycle() -> None:
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(edges[node]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep):], dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_stages_do_not_know_the_build_machinery() -> None:
    """A stage is a function of its job: it can run anywhere, so it imports nothing of `toolkit.build`."""
    stages = ("toolkit.audio.master", "toolkit.speech.transcribe", "toolkit.content.make", "toolkit.audio.id3")
    edges = graph()
    assert {s: sorted(d for d in edges[s] if d.startswith("toolkit.build")) for s in stages} == {s: [] for s in stages}
