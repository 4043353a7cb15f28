#!/usr/bin/env bash
# Mutation testing, on demand (never in CI): mutmut mutates the modules that carry promises
# and runs the tests that cover them; a mutant that no test kills is a survivor to explain or
# kill (docs/testing.md). Bounded: each slice runs in a scratch copy under `timeout`.
#
#   pip install -e '.[test,mutation]'
#   bash scripts/mutation.sh                      # every slice
#   bash scripts/mutation.sh values urls          # some slices
#   MUTATION_BUDGET=600 MUTATION_CHILDREN=1 bash scripts/mutation.sh http routing
#   MUTATION_FAST=0.5 bash scripts/mutation.sh engine  # two passes (below)
#
# MUTATION_FAST=<seconds>: a first pass runs each mutant without the tests that took longer
# than that in mutmut's stats run (tests/mutation_plugin.py); its survivors are then run
# again with every test that reaches them (a second budget of MUTATION_BUDGET seconds), so
# the counts are those of the full selection, paid for by survivors only once.
#
# Reports go to mutation-report/<slice>.txt (one line per mutant that was not killed) and a
# summary line per slice to mutation-report/summary.txt. `mutmut show <name>` in the kept
# scratch copy (MUTATION_KEEP=1) prints a mutant's diff.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUDGET=${MUTATION_BUDGET:-900}       # seconds per slice
# Parallel mutants (default 2). mutmut forks every mutant from one process that has collected
# the tests (imported tests/conftest.py, which chose one SQLite file): tests/mutation_plugin.py
# gives each run its own copy of a migrated template, so children no longer share a database.
# On PostgreSQL (CLAIMDESK_TEST_DATABASE_URL) they would: the database slices then run one at
# a time.
CHILDREN=${MUTATION_CHILDREN:-}
OUT=${MUTATION_OUT:-$ROOT/mutation-report}
ALL=(values grouping parser similarity truth engine http routing errors pagination idempotency urls)

# slice -> "files to mutate|tests that cover them"
# (preloaded: slices whose mutated code never runs when the app is built, see preload())
slice() {
  case "$1" in
    values) echo "app/confidence/values.py|tests/confidence/test_values.py tests/confidence/test_grouping.py" ;;
    grouping) echo "app/confidence/grouping.py|tests/confidence/test_grouping.py" ;;
    parser) echo "app/confidence/parser.py|tests/confidence/test_parser.py" ;;
    # the engine in three slices (one was too slow to finish in a budget on a shared machine);
    # mutmut runs, for each mutant, only the tests that reached its function
    engine) echo "app/confidence/engine.py|tests/confidence" ;;
    truth) echo "app/confidence/truth.py|tests/confidence" ;;
    similarity) echo "app/confidence/similarity.py|tests/confidence" ;;
    # the http slice in two (run 7): app/http.py runs per request (preloaded), app/routing.py's
    # factories run when the app is built (never preloaded, every mutant runs every test)
    http) echo "app/http.py|tests/test_http.py tests/system/test_concurrency.py tests/system/test_bad_input.py tests/system/test_contract.py tests/test_routing.py" ;;
    routing) echo "app/routing.py|tests/test_routing.py tests/system/test_concurrency.py tests/system/test_bad_input.py tests/system/test_contract.py tests/sources/test_router.py tests/actors/test_router.py" ;;
    errors) echo "app/errors.py|tests/test_errors.py tests/system/test_bad_input.py tests/system/test_unavailable.py" ;;
    pagination) echo "app/pagination.py|tests/test_pagination.py" ;;
    idempotency) echo "app/idempotency/*|tests/idempotency" ;;
    urls) echo "app/urls.py|tests/test_urls.py tests/webhooks/test_router.py tests/links/test_router.py" ;;
    *) echo "unknown slice $1 (slices: ${ALL[*]})" >&2; return 1 ;;
  esac
}

# Modules the fork server imports once for every child (tests/mutation_plugin.py). Only where
# no mutated function runs at import: the routes are built at import with app/routing.py's
# factories and app/errors.py's register_union_tags/problem_responses, so the routing slice is
# never preloaded and those two errors functions are re-run without it (docs/testing.md).
preload() {
  case "$1" in
    idempotency | urls | pagination | errors | http) echo "app.main" ;;
    # every module but those that build routes (the routers, app.main, the CLI that imports
    # it): a child then builds only the routes (0.3 s of CPU instead of 1.7 s for the import)
    routing) (cd "$ROOT" && git ls-files 'app/*.py' | grep -v -e '/router\.py$' -e '^app/main\.py$' \
      -e '^app/cli\.py$' -e '__main__' | sed 's/\.py$//; s|/__init__$||; s|/|.|g' | paste -sd, -) ;;
    *) echo "" ;;
  esac
}

# Mutated functions (mutmut's mangled names, fnmatch patterns) that every test of the slice
# checks (MUTATION_EVERY_TEST, tests/mutation_plugin.py). mutmut gives a mutant the tests during
# which its function ran; a function that runs once, when the app is built, ran during one test
# only (the first to import app.main), so its mutants, and the routes they build, were checked
# by that one test.
every() {
  case "$1" in
    routing) echo "app.routing.*" ;;
    *) echo "" ;;
  esac
}

# Tests whose cost is their fixtures' set-up, which mutmut does not time (it would run them
# first): each mutant runs them last (MUTATION_LAST, tests/mutation_plugin.py).
last() {
  case "$1" in
    similarity | truth | engine) echo "tests/confidence/test_benchmark.py" ;;
    *) echo "" ;;
  esac
}

# Tests each mutant runs first (MUTATION_FIRST, node-id parts): the cheapest killer of most of
# the slice's mutants, which mutmut's fastest-first order would run late
first() {
  case "$1" in
    routing) echo "test_routing.py::test_the_entity_routes_are_documented_as_if_written_out" ;;
    *) echo "" ;;
  esac
}

# Mutants to run again without preloading after the slice (mutmut patterns): functions that
# run when the routers are imported, which a preloaded fork server did before any mutant was on
unpreloaded() {
  case "$1" in
    errors) echo "app.errors.x_register_union_tags* app.errors.x_problem_responses*" ;;
    *) echo "" ;;
  esac
}

command -v mutmut >/dev/null || { echo "mutmut missing: pip install -e '.[test,mutation]'" >&2; exit 1; }
mkdir -p "$OUT"
# the scratch copy is not a git worktree next to ../shared: tell the real-data tests where it is
if [ -z "${CLAIMDESK_SHARED:-}" ]; then
  CLAIMDESK_SHARED=$(cd "$ROOT" && python -c 'from tests.shared_data import candidates
print(next((str(p) for p in candidates() if p.exists()), ""))')
  export CLAIMDESK_SHARED
fi
[ $# -gt 0 ] || set -- "${ALL[@]}"
for name in "$@"; do
  spec=$(slice "$name")
  files=${spec%%|*}
  tests=${spec#*|}
  work=$(mktemp -d "${TMPDIR:-/tmp}/claimdesk-mutation-$name.XXXXXX")
  (cd "$ROOT" && git ls-files -z | xargs -0 cp --parents -t "$work")
  {
    printf '\n[tool.mutmut]\nsource_paths = ["app/"]\nonly_mutate = ['
    printf '"%s",' $files
    printf ']\npytest_add_cli_args = ["-q", "-p", "no:cacheprovider", "-x", "-p", "tests.mutation_plugin"]\n'
    # a mutant's time limit is (its tests' measured time + constant) x 15: on a loaded machine
    # fixture set-up (not measured) alone can pass mutmut's default constant of 1 s
    printf 'timeout_constant = %s\n' "${MUTATION_TIMEOUT_CONSTANT:-10}"
    # fork every mutant from a server that has only collected the tests: a fork of the process
    # that ran them inherits their threads' locks and can hang (reported as a false timeout)
    printf 'process_isolation = "forkserver"\n'
    printf 'pytest_add_cli_args_test_selection = ['
    printf '"%s",' $tests
    printf ']\n'
  } >> "$work/pyproject.toml"
  case "$name" in
    values | grouping | parser | similarity | truth | engine) children=${CHILDREN:-2} ;;
    *) if [ -n "${CLAIMDESK_TEST_DATABASE_URL:-}" ]; then children=${CHILDREN:-1}; else children=${CHILDREN:-2}; fi ;;
  esac
  # one migrated SQLite file, copied by each run instead of migrating its own (alembic took a
  # third of a mutant's CPU time in the idempotency slice)
  (cd "$work" && CLAIMDESK_DATABASE_URL="sqlite:///$work/template.db" python -c '
from alembic import command
from app.db import alembic_config, normalise_url
import os
command.upgrade(alembic_config(normalise_url(os.environ["CLAIMDESK_DATABASE_URL"])), "head")')
  MUTATION_PRELOAD=$(preload "$name")
  MUTATION_LAST=$(last "$name")
  MUTATION_EVERY_TEST=$(every "$name")
  MUTATION_FIRST=$(first "$name")
  export MUTATION_SQLITE_TEMPLATE="$work/template.db" MUTATION_PRELOAD MUTATION_LAST MUTATION_EVERY_TEST \
    MUTATION_FIRST
  # mutmut hands test ids back to pytest.main in a process that has collected the tests; an
  # id pytest escaped (a non-ASCII parameter: "\u2013") is then not found, and every mutant
  # those tests cover ends with exit code 255, which mutmut reports as a timeout
  # (tests/ids.py spells such ids in ASCII)
  if escaped=$(cd "$work" && python -m pytest --collect-only -q -p no:cacheprovider $tests 2>/dev/null \
    | grep -E '\\(u|U|x)[0-9a-fA-F]{2}'); then
    echo "$name: test ids with escapes (use tests/ids.py ascii_id):" >&2
    echo "$escaped" >&2
    exit 1
  fi
  echo "== $name: mutating $files, tests $tests (budget ${BUDGET}s, $children at a time, preload '${MUTATION_PRELOAD}')"
  started=$SECONDS
  status=done
  mkdir -p "$work/fast-marks"
  (cd "$work" && MUTATION_FAST=${MUTATION_FAST:-} MUTATION_FAST_MARKS="$work/fast-marks" \
    timeout "$BUDGET" mutmut run --max-children "$children" >"$work/run.log" 2>&1) \
    || status="stopped after ${BUDGET}s or failed (see $work/run.log)"
  if [ -n "${MUTATION_FAST:-}" ]; then
    # the fast pass's survivors that ran without some test, again with every test (mutmut
    # re-runs mutants it is given by name)
    mapfile -t survivors < <(cd "$work" && mutmut results 2>/dev/null | sed -n 's/^ *\(.*\): survived$/\1/p' \
      | while read -r m; do [ -e "fast-marks/$m" ] && echo "$m"; done)
    if [ ${#survivors[@]} -gt 0 ]; then
      (cd "$work" && MUTATION_FAST= timeout "$BUDGET" mutmut run --max-children "$children" "${survivors[@]}" \
        >"$work/recheck.log" 2>&1) || status="$status; re-check stopped after ${BUDGET}s or failed (see $work/recheck.log)"
    fi
    status="$status; fast pass ${MUTATION_FAST}s: ${#survivors[@]} survivors re-checked with every test"
  fi
  read -ra again <<<"$(unpreloaded "$name")"
  if [ -n "$MUTATION_PRELOAD" ] && [ ${#again[@]} -gt 0 ]; then
    (cd "$work" && MUTATION_PRELOAD= MUTATION_FAST= timeout "$BUDGET" mutmut run --max-children "$children" \
      "${again[@]}" >"$work/unpreloaded.log" 2>&1) \
      || status="$status; re-run without preloading stopped or failed (see $work/unpreloaded.log)"
  fi
  (cd "$work" && mutmut results --all true 2>/dev/null) | grep -E ': ' | sed 's/^ *//' \
    > "$OUT/$name.txt" || true
  count() { grep -c ": $1\$" "$OUT/$name.txt" || true; }
  # of the "timeout"s, those that were an exception in the test run (exit code 255), not a limit
  crashed=$(cd "$work" && python - <<'PY'
import json, pathlib
print(sum(code == 255 for meta in pathlib.Path("mutants").rglob("*.meta")
          for code in json.loads(meta.read_text())["exit_code_by_key"].values()))
PY
  )
  line="$name: killed $(count killed) survived $(count survived) no-tests $(count 'no tests') timeout $(count timeout) (of which exit 255: $crashed) not-checked $(count 'not checked') in $((SECONDS - started))s ($status)"
  echo "$line" | tee -a "$OUT/summary.txt"
  grep -v ': killed$' "$OUT/$name.txt" > "$OUT/$name.tmp" || true
  mv "$OUT/$name.tmp" "$OUT/$name.txt"
  if [ "${MUTATION_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
done
