"""The dinsar.simulate modules a simulator module reaches by imports (in functions too), and any import of
the chain they make: the simulators check the chain, so they must not share its code."""

from __future__ import annotations

import ast
from pathlib import Path

import dinsar

CHAIN = ("dinsar.sensors", "dinsar.geometry", "dinsar.steps", "dinsar.interferometry", "dinsar.kernels")


def simulator_imports(start: str) -> tuple[set[str], list[str]]:
    """(the dinsar.simulate modules reached from `start`, "<module> imports <chain name>" for each
    import of the chain among them)."""
    root = Path(dinsar.__file__).resolve().parents[1]
    todo, seen, bad = [start], set(), []
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        file = root / mod.replace(".", "/")
        file = file / "__init__.py" if file.is_dir() else file.with_suffix(".py")
        for node in ast.walk(ast.parse(file.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):  # `from pkg import module` names modules too
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                path = root / name.replace(".", "/")
                if name.startswith("dinsar.simulate") and not path.exists() and not path.with_suffix(".py").exists():
                    continue  # `from module import function`
                if name.startswith(CHAIN):
                    bad.append(f"{mod} imports {name}")
                elif name.startswith("dinsar.simulate"):
                    todo.append(name)
    return seen, bad
