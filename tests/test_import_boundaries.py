"""Dependencies run one way: the emulator uses autoagent's public interfaces, autoagent reaches
the emulator only through the target plugin (autoagent.plugins), and no package imports
another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autoagent", "emulator")


def imports(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, module, imported name or None) for every import in the file, nested ones included."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, node.module, alias.name) for alias in node.names)
    return found


def violations(root: Path) -> list[str]:
    bad: list[str] = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            where = path.relative_to(root)
            for line, module, name in imports(path):
                top = module.split(".")[0]
                if package == "autoagent" and top == "emulator":
                    bad.append(f"{where}:{line} imports {module}: autoagent reaches targets through autoagent.plugins")
                private = [part for part in module.split(".")[1:] if part.startswith("_") and not part.startswith("__")]
                if name is not None and name.startswith("_") and not name.startswith("__"):
                    private.append(name)
                if top in PACKAGES and top != package and private:
                    bad.append(f"{where}:{line} imports private {', '.join(private)} from {module}")
    return bad


def test_no_package_imports_across_the_boundary() -> None:
    assert violations(ROOT) == []


def test_the_walk_sees_what_it_forbids(tmp_path) -> None:
    (tmp_path / "autoagent").mkdir()
    (tmp_path / "emulator").mkdir()
    (tmp_path / "autoagent" / "a.py").write_text("def f():\n    from emulator import Phone\n", encoding="utf-8")
    (tmp_path / "emulator" / "b.py").write_text("from autoagent.voice.domain import _english\n", encoding="utf-8")
    (tmp_path / "emulator" / "c.py").write_text("from emulator.tasks import _paid\nimport autoagent.device\n",
                                                encoding="utf-8")
    assert [v.split(" ", 1)[0] for v in violations(tmp_path)] == ["autoagent/a.py:2", "emulator/b.py:1"]


def test_the_emulator_is_an_installed_target() -> None:
    from autoagent.plugins import targets

    emulator = targets()["emulator"]
    assert emulator.apps["shop"] == ("com.autoagent.shop",) and "com.autoagent.shop" in emulator.payment_apps
    assert {"emulator", "demos", "eval"} <= set(emulator.commands)
