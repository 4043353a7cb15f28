#!/usr/bin/env bash
# Property-based fuzzing of the whole API from its OpenAPI document (schemathesis), against a
# server on 127.0.0.1 with the Camp Taji demo. Bounded: a fixed number of examples per operation.
#   pip install -e '.[fuzz]' && bash scripts/fuzz.sh [max-examples]
set -euo pipefail
cd "$(dirname "$0")/.."
export CLAIMDESK_DATABASE_URL="sqlite:///$(mktemp -d)/fuzz.db"
claimdesk db upgrade >/dev/null
claimdesk demo load >/dev/null
KEY=$(claimdesk keys create --name fuzz --role admin | tail -n1)
PORT=${PORT:-8777}
LOG=$(mktemp)
claimdesk serve --port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 30); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
schemathesis run "http://127.0.0.1:$PORT/openapi.json" -H "Authorization: Bearer $KEY" \
  --checks all \
  --exclude-checks positive_data_acceptance,negative_data_rejection,ignored_auth,use_after_free,ensure_resource_availability \
  --exclude-path-regex '/v1/keys/.*/(revoke|rotate)' \
  --max-examples "${1:-60}" --request-timeout 10 --seed 7
errors=$(grep -c '"status":500' "$LOG" || true)
echo "server errors logged: $errors"
[ "$errors" = "0" ]
