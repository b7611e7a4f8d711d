"""The feature packages stay layered: a module never imports a higher layer at module level.

Bottom to top (README, "Architecture"): core and mail → accounts → cooperatives →
catalog → search → orders → payments, fairs, promotion, reviews → program → api → demo.
A lower package that needs something from above owns a small hook, and the higher one
registers with it in its init_app, called by create_app() (fair prices: catalog.pricing;
what an order is credited to: orders.sources); or the code moves to the package it
belongs to, or its shared piece down to core. A dependency that only one function has
may be imported inside that function (the import then runs after every package has
loaded, and the dependency is visible where it is used).

UPWARD_IMPORTS listed the module-level imports that still went up a layer; issue 14
removed them all. The test fails on any new one: keep the set empty.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "marketplace"

LAYERS = {
    "core": 0,
    "mail": 0,
    "accounts": 1,
    "cooperatives": 2,
    "catalog": 3,
    "search": 4,
    "orders": 5,
    "payments": 6,
    "fairs": 6,
    "promotion": 6,
    "reviews": 6,
    "traceability": 6,
    "program": 7,
    "api": 8,
    "demo": 9,
}

# (importing module, imported module): none left, and none to be added.
UPWARD_IMPORTS: set[tuple[str, str]] = set()


def _module_level_imports(tree: ast.Module):
    """Imported module names of the statements run when the module loads: its top level and
    the bodies of top-level if/try blocks, but not `if TYPE_CHECKING:` (never run)."""
    statements = list(tree.body)
    while statements:
        node = statements.pop(0)
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            statements[:0] = node.body + node.orelse
        elif isinstance(node, ast.Try):
            statements[:0] = node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "marketplace":  # from marketplace import payments
                yield from (f"marketplace.{alias.name}" for alias in node.names)
            else:
                yield node.module


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if len(parts) < 2 or parts[0] not in LAYERS:
            continue  # the app factory and other top-level wiring may import anything
        module = ".".join(p for p in parts if p != "__init__")
        for name in _module_level_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            target = name.split(".")
            if target[0] != "marketplace" or len(target) < 2 or target[1] not in LAYERS:
                continue
            if LAYERS[target[1]] > LAYERS[parts[0]]:
                found.add((module, ".".join(target[1:])))
    return found


def test_no_module_imports_a_higher_layer_when_it_loads():
    found = upward_imports()
    new = sorted(found - UPWARD_IMPORTS)
    assert not new, (
        "These modules import a higher layer at module level; use a hook the lower package owns, "
        f"or import inside the function that needs it: {new}"
    )


def test_the_list_of_known_upward_imports_only_shrinks():
    gone = sorted(UPWARD_IMPORTS - upward_imports())
    assert not gone, f"Fixed: delete these from UPWARD_IMPORTS in tests/test_layers.py: {gone}"


def test_the_check_sees_imports_inside_try_and_if_but_not_type_checking():
    tree = ast.parse(
        "import marketplace.orders.cart\n"
        "try:\n    from marketplace.fairs import pricing\nexcept ImportError:\n    pass\n"
        "if TYPE_CHECKING:\n    from marketplace.api.views import x\n"
        "from marketplace import payments\n"
        "def later():\n    from marketplace.program import views\n"
    )

    assert list(_module_level_imports(tree)) == ["marketplace.orders.cart", "marketplace.fairs", "marketplace.payments"]
