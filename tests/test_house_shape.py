"""The shape a newcomer can read, held by tests: small modules, short functions, imports at the top.

(The floors themselves are held by import-linter's contracts in pyproject.toml, run first by `make lint`.)
"""

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "returns_desk"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_INNER_IMPORTS = 5


def product_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def is_project_import(node: ast.AST) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == "returns_desk"
    if isinstance(node, ast.Import):
        return any(alias.name.split(".")[0] == "returns_desk" for alias in node.names)
    return False


def inner_imports(path: Path) -> list[tuple[int, bool]]:
    """(line, explained) for each project import inside a function; explained: a comment on that line or the
    line above says why it is there."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if is_project_import(inner):
                    here, above = lines[inner.lineno - 1], lines[inner.lineno - 2]
                    found.append((inner.lineno, "#" in here or above.strip().startswith("#")))
    return found


def test_project_imports_sit_at_the_top_of_modules_save_a_few_that_say_why():
    found = {
        f"{path.relative_to(PACKAGE.parent)}:{line}": why
        for path in product_modules()
        for line, why in inner_imports(path)
    }
    unexplained = sorted(where for where, why in found.items() if not why)
    assert not unexplained, f"Imports inside functions without a comment saying why: {unexplained}"
    assert len(found) <= MAX_INNER_IMPORTS, f"{len(found)} imports inside functions (at most {MAX_INNER_IMPORTS})"


def test_the_counter_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\n\n\ndef f():\n    # needs the registry\n    from returns_desk.core import clock\n")
    assert inner_imports(module) == [(6, True)]
    module.write_text("def f():\n    from .models import X\n")
    assert inner_imports(module) == [(2, False)]


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_longer_than_a_reader_can_hold(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines; split it by what it does"


def test_no_function_outside_the_demo_is_longer_than_a_screen():
    long = []
    for path in product_modules():
        if "demo" in path.relative_to(PACKAGE).parts:
            continue  # the seeders read top to bottom as a story; they are tools, not the product
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({length} lines)")
    assert not long, f"Functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_timeline_has_one_writer():
    """Every path that writes the audit timeline goes through `returns/services/timeline.py`."""
    writer = PACKAGE / "returns" / "services" / "timeline.py"
    writes = re.compile(
        r"ReturnEvent\.objects\.(create|bulk_create|get_or_create|update_or_create)|\.events\.create\("
        r"|QuerySet\(model=ReturnEvent\)"  # past the append-only manager: the timeline service's erasure only
    )
    elsewhere = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in product_modules()
        if path != writer
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if writes.search(line)
    ]
    assert writes.search(writer.read_text()), "the writer itself no longer writes: is the pattern stale?"
    assert not elsewhere, f"ReturnEvent rows written outside the timeline service: {elsewhere}"
