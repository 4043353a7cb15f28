"""A pytest plugin for ``scripts/mutation.sh`` only (``-p tests.mutation_plugin``): cheaper and
independent test runs under mutmut's fork server (docs/testing.md, "Mutation testing").

mutmut (``process_isolation = "forkserver"``) collects the tests once in a fork server, then
forks one child per mutant, which calls ``pytest.main`` again. Without this plugin every child
imported ``app.main`` itself (the first test that asked for the app did), migrated the SQLite
file ``tests/conftest.py`` chose when the fork server imported it, shared that file with every
other child, and drew the same ``random`` numbers as every other child. Here:

- ``MUTATION_PRELOAD`` (module names, comma-separated): the fork server's collection imports
  them, and freezes the garbage collector's view of what is loaded (``gc.freeze``), so the
  children inherit the imports and pytest's ``gc.collect`` at exit no longer walks them. Only
  for slices whose mutated code does not run at import: a mutant of code that runs when the
  app is built is then only reached by tests that build their own app.
- ``MUTATION_SQLITE_TEMPLATE`` (a migrated SQLite file): every run (the stats run, each
  mutant) gets its own copy instead of migrating the shared file, so two children can run at
  once and none wipes the tables under another.
- Every run reseeds ``random``: forked children inherit one random state, so one draw decided
  for every mutant of a run whether a 1 % branch ran (``app.idempotency.service.begin``).
- ``MUTATION_LAST`` (comma-separated parts of test node ids): a mutant's run takes the tests
  whose id contains one of them last. mutmut runs a mutant's tests fastest first and stops at
  the first failure, but it times only a test's call, not its fixtures' set-up: the Population
  benchmark's module fixture (the whole engine on real data, about 3 s) counted as 0 s and ran
  first for every engine mutant, killed or not.
- ``MUTATION_FIRST`` (the same): a mutant's run takes those tests first, the test that kills
  most of a slice's mutants cheaply (in the routing slice the OpenAPI test, which runs third
  from last by mutmut's timing: a mutant of a route factory paid for some thirty other tests
  before it).
- ``MUTATION_FAST`` (seconds): a first, fast pass. A mutant's run leaves out the tests whose
  time in mutmut's stats run was above this (unless that leaves none), so a survivor no longer
  pays for every slow test that reached its function. Its survivors are then checked again
  with every test (``scripts/mutation.sh`` does both passes; ``MUTATION_FAST_MARKS``, a
  directory, gets an empty file named after each mutant that ran without some test, so only
  those are checked again); the stats run, the clean run and the forced failure are never
  filtered.
- ``MUTATION_EVERY_TEST`` (comma-separated fnmatch patterns of mutmut's mangled function
  names, ``app.routing.*``): at the end of mutmut's stats run every function they match is
  given every test that ran, so each of its mutants runs the whole selection. mutmut gives a
  mutant the tests during which its function ran, and a function that runs when the app is
  built (the route factories) ran during one test only: the first that imported ``app.main``.
"""

from __future__ import annotations

import fnmatch
import gc
import importlib
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

_OWN_DIRS: list[Path] = []


def _conftest() -> Any:
    return sys.modules.get("tests.conftest") or importlib.import_module("tests.conftest")


def _own_database(template: Path) -> None:
    """Point the tests at a copy of ``template`` that no other process uses."""
    conftest = _conftest()
    old_url = conftest.TEST_URL
    if not old_url.startswith("sqlite:"):
        return  # CLAIMDESK_TEST_DATABASE_URL names a server database: leave it alone
    directory = Path(tempfile.mkdtemp(prefix="claimdesk-mutant-"))
    _OWN_DIRS.append(directory)
    path = directory / "test.db"
    url = f"sqlite:///{path}"
    os.environ["CLAIMDESK_DATABASE_URL"] = url
    # test modules imported TEST_URL by name (``from tests.conftest import TEST_URL``)
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "tests" and getattr(module, "TEST_URL", None) == old_url:
            vars(module)["TEST_URL"] = url

    def fresh_database() -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, path)

    conftest.fresh_database = fresh_database


def pytest_configure(config: pytest.Config) -> None:
    if config.option.collectonly:  # mutmut's fork server warming up (or listing the tests)
        for name in filter(None, os.environ.get("MUTATION_PRELOAD", "").split(",")):
            importlib.import_module(name.strip())
        return
    random.seed()  # from os.urandom: no draw shared by the children of one fork server
    template = os.environ.get("MUTATION_SQLITE_TEMPLATE")
    if template:
        _own_database(Path(template))


def _durations() -> dict[str, float]:
    """Each test's call time in mutmut's stats run (children run in ``mutants/``)."""
    for path in (Path("mutmut-stats.json"), Path("mutants/mutmut-stats.json")):
        if path.exists():
            durations: dict[str, float] = json.loads(path.read_text())["duration_by_test"]
            return durations
    return {}


def _move(items: list[pytest.Item], variable: str, *, to_front: bool) -> None:
    """Move the items whose node id holds a part listed in ``variable`` to the front or back."""
    parts = [part for part in os.environ.get(variable, "").split(",") if part]
    if parts:
        named = [item for item in items if any(part in item.nodeid for part in parts)]
        others = [item for item in items if not any(part in item.nodeid for part in parts)]
        items[:] = named + others if to_front else others + named


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.option.collectonly:
        _move(items, "MUTATION_LAST", to_front=False)
        _move(items, "MUTATION_FIRST", to_front=True)
    limit = os.environ.get("MUTATION_FAST")
    if not limit or "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return  # not a mutant's run of the fast pass
    durations = _durations()
    slow = [item for item in items if durations.get(item.nodeid, 0.0) > float(limit)]
    if not slow or len(slow) == len(items):
        return  # nothing to leave out, or only slow tests reach the mutant: run them
    config.hook.pytest_deselected(items=slow)
    left_out = set(slow)
    items[:] = [item for item in items if item not in left_out]
    marks = os.environ.get("MUTATION_FAST_MARKS")
    if marks:  # the script re-checks only the survivors that ran without some test
        Path(marks, os.environ["MUTANT_UNDER_TEST"]).touch()


def pytest_sessionfinish(session: pytest.Session) -> None:
    patterns = [p.strip() for p in os.environ.get("MUTATION_EVERY_TEST", "").split(",") if p]
    if not patterns or os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    # only mutmut's stats run gets here; mutmut is an optional extra (not installed in CI),
    # so it is looked up at run time rather than imported for the type checker
    state = importlib.import_module("mutmut.state").state

    every = {test.removeprefix("mutants/") for test in state().duration_by_test}
    for name, tests in state().tests_by_mangled_function_name.items():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            tests |= every


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.option.collectonly:
        gc.freeze()  # what the children inherit is never collected
        return
    while _OWN_DIRS:
        shutil.rmtree(_OWN_DIRS.pop(), ignore_errors=True)
