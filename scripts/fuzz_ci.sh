#!/usr/bin/env bash
# schemathesis over the whole API, bounded in examples and time, against a server on
# 127.0.0.1 with the Camp Taji demo; every check and the stateful phase on. Fails on any
# schemathesis failure or any 5xx in the server log. Used by CI on SQLite and PostgreSQL:
#   [FUZZ_SEED=N] bash scripts/fuzz_ci.sh DATABASE_URL PORT [max-examples] [max-seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
export CLAIMDESK_DATABASE_URL="$1"
PORT=$2
export CLAIMDESK_RATE_LIMIT=false      # the fuzzer is one client sending thousands of requests
export CLAIMDESK_DELIVER_WEBHOOKS=false
LOG=$(mktemp)
claimdesk db upgrade >/dev/null
claimdesk demo load >/dev/null
KEY=$(claimdesk keys create --name fuzz --role admin | tail -n1)
claimdesk serve --port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 60); do
  python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break
  sleep 0.5
done
# warm up (the first /openapi.json builds the document) so schemathesis loads it in time
python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=120).read()" \
  "http://127.0.0.1:$PORT/openapi.json"
# Excluded checks, each because the API is right and the check cannot know it:
#  positive_data_acceptance: schema-valid data may still name ids that do not exist (404/422)
#  ignored_auth: anonymous reads may be turned on by the operator
#  use_after_free / ensure_resource_availability: deletes leave tombstones and some
#    resources (keys) stay readable after revocation by design
# CI generates deterministically (the same cases every run: a red CI is reproducible);
# FUZZ_SEED=N explores other cases, reproducible with the same seed (e.g. FUZZ_SEED=$RANDOM).
if [ -n "${FUZZ_SEED:-}" ]; then
  GENERATION=(--seed "$FUZZ_SEED")
else
  GENERATION=(--generation-deterministic)
fi
status=0
SCHEMATHESIS_HOOKS=scripts.fuzz_hooks PYTHONPATH=. schemathesis run "http://127.0.0.1:$PORT/openapi.json" -H "Authorization: Bearer $KEY" \
  --checks all \
  --exclude-checks positive_data_acceptance,ignored_auth,use_after_free,ensure_resource_availability \
  --exclude-path-regex '/v1/keys/.*/(revoke|rotate)' \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${3:-8}" --max-time "${4:-150}" --request-timeout 20 "${GENERATION[@]}" \
  --no-color || status=$?
errors=$(grep -c '"status":5[0-9][0-9]' "$LOG" || true)
echo "server 5xx responses logged: $errors"
grep '"status":5[0-9][0-9]' "$LOG" | head -n 20 || true
[ "$errors" = "0" ] || status=1
exit "$status"
