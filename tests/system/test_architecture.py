"""The module graph of ``app/`` is acyclic, counting the imports written inside functions: a
function-level import hides a cycle from Python at start-up, not from the reader who has to
change one side of it. import-linter's contracts (``[tool.importlinter]`` in pyproject.toml,
run by ``lint-imports`` in CI) state the layers; this test states acyclicity over every module,
which import-linter has no contract for (``acyclic_siblings`` compares whole packages, and a
domain's service may use another domain's tables while that domain's service uses its own)."""

from __future__ import annotations

import grimp

# Imports that close a cycle today, each with the change that removes it. Keep this empty.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


def import_graph() -> grimp.ImportGraph:
    """Every import under app/, at module level or inside a function, TYPE_CHECKING included."""
    return grimp.build_graph("app", cache_dir=None)


def cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """Each direct import a → b that lies on a cycle, as the chain a → b → … → a."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if importer == imported:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                found.append((importer, *back))
    return found


def test_the_module_graph_has_no_cycles() -> None:
    graph = import_graph()
    for importer, imported in KNOWN_CYCLES:
        present = importer in graph.modules and imported in graph.modules
        if present and graph.direct_import_exists(importer=importer, imported=imported):
            graph.remove_import(importer=importer, imported=imported)
    found = cycles(graph)
    assert not found, "import cycles (break them; do not hide them in a function):\n" + "\n".join(
        " -> ".join(chain) for chain in found
    )


def test_the_check_finds_a_cycle_hidden_in_a_function() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b", line_number=1, line_contents="import")
    graph.add_import(importer="pkg.b", imported="pkg.c", line_number=1, line_contents="import")
    assert cycles(graph) == []
    # the way back, as `def f(): from pkg.a import x` is recorded by grimp
    graph.add_import(importer="pkg.c", imported="pkg.a", line_number=9, line_contents="from")
    assert ("pkg.a", "pkg.b", "pkg.c", "pkg.a") in cycles(graph)
    assert len(cycles(graph)) == 3


def test_function_level_imports_are_in_the_graph() -> None:
    graph = import_graph()
    # app/cli.py imports its commands' services inside the commands, at call time
    details = graph.get_import_details(importer="app.cli", imported="app.demo.service")
    assert details, "grimp no longer records imports inside functions: the cycle check is blind"


def foreign_models(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """(router, model module) for each router that imports another domain's tables."""
    found = []
    for router in sorted(m for m in graph.modules if m.endswith(".router")):
        domain = router.rsplit(".", 1)[0]
        for imported in sorted(graph.find_modules_directly_imported_by(router)):
            if imported.endswith(".models") and imported.rsplit(".", 1)[0] != domain:
                found.append((router, imported))
    return found


def test_routers_import_no_other_domains_tables() -> None:
    """A router speaks HTTP for its own domain; what it needs of another domain it asks that
    domain's service (``revisions/router.py`` used to look up four domains' tables itself)."""
    assert foreign_models(import_graph()) == []


def test_the_check_finds_a_router_importing_another_domains_tables() -> None:
    graph = grimp.ImportGraph()
    for module in ("app", "app.a", "app.a.router", "app.a.models", "app.b", "app.b.models"):
        graph.add_module(module)
    graph.add_import(importer="app.a.router", imported="app.a.models")
    assert foreign_models(graph) == []
    graph.add_import(importer="app.a.router", imported="app.b.models")
    assert foreign_models(graph) == [("app.a.router", "app.b.models")]
