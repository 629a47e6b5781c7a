#!/usr/bin/env bash
# The API contract run: schemathesis against the OpenAPI schema, on a seeded server backed by PostgreSQL and
# Redis. Every response must be no 5xx and must match the schema (status code, content type, body).
#
#   scripts/contract-test.sh [SCHEMATHESIS OPTIONS]   # DATABASE_URL / REDIS_URL from the environment (defaults: CI's)
#   e.g. scripts/contract-test.sh --include-operation-id createApiKey --report har
#
# It makes its own database (CONTRACT_DB, default accessportal_contract) and drops it at the end; it runs the
# server and a Celery worker on their own queue, and stops both whatever happens. Knobs: CONTRACT_MAX_EXAMPLES
# (default 25 a phase and operation; CONTRACT_BEARER_MAX_EXAMPLES, default 10, for the second pass over the service
# accounts' operations with a Bearer token), CONTRACT_SEED (default 20251125), CONTRACT_WORKERS (default 2),
# CONTRACT_KEEP=1 keeps the database and the logs for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/accessportal}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
CONTRACT_DB=${CONTRACT_DB:-accessportal_contract}
MAX_EXAMPLES=${CONTRACT_MAX_EXAMPLES:-25}
BEARER_MAX_EXAMPLES=${CONTRACT_BEARER_MAX_EXAMPLES:-10}
SEED=${CONTRACT_SEED:-20251125}
WORKERS=${CONTRACT_WORKERS:-2}
CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance

# schemathesis and the rest of the dev extras, in .venv (made on first use, like `make test`).
make --no-print-directory .venv/.installed
PY=.venv/bin/python

url_with_db() {  # URL DBNAME: the same server, another database
  "$PY" -c 'import sys; from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1]); print(urlunsplit(u._replace(path="/" + sys.argv[2])))' "$1" "$2"
}
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "contract run: DATABASE_URL must be a PostgreSQL URL, got $DATABASE_URL" >&2; exit 2 ;;
esac
ADMIN_URL=$(url_with_db "$DATABASE_URL" postgres)
export DATABASE_URL REDIS_URL
DATABASE_URL=$(url_with_db "$DATABASE_URL" "$CONTRACT_DB")
# A queue of its own, so that no other worker on this Redis takes the run's tasks (and none is left behind).
export CELERY_QUEUE=accessportal-contract
# The server runs as in production (DEBUG off: JSON errors, no debug pages); the set-up commands run with DEBUG on,
# which load_demo insists on. Both share these secrets, made for this run only.
export SECRET_KEY ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export API_KEY_ENCRYPTION_KEYS
API_KEY_ENCRYPTION_KEYS=$("$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
export ANYMAIL_WEBHOOK_SECRET
ANYMAIL_WEBHOOK_SECRET="contract:$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
export EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
# The run checks shapes, not fairness: its one key sends far more than a client's share of requests a minute.
export API_THROTTLE_RATE_API_KEY=1000000/minute API_THROTTLE_RATE_SESSION=1000000/minute
export API_THROTTLE_RATE_SERVICE_ACCOUNT=1000000/minute
# Its own keys in the shared Redis: refused authentications counted there by the test suite (within the limit's
# 5-minute window) must not answer the run's requests 429.
export CACHE_KEY_PREFIX
CACHE_KEY_PREFIX="contract-$("$PY" -c 'import secrets; print(secrets.token_hex(6))')"
export PGOPTIONS="-c client_min_messages=warning"

WORK=$(mktemp -d)
server_pid=""
worker_pid=""
cleanup() {
  local rc=$?
  for pid in "$server_pid" "$worker_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if [ "$rc" -ne 0 ] && [ -f "$WORK/server.log" ]; then
    if grep -q 'Internal Server Error: ' "$WORK/server.log"; then
      echo "--- the server's internal errors (first lines of each traceback's end)" >&2
      awk '/Internal Server Error: / {n = 1; print; next}
           n && /^[A-Za-z_.]*(Error|Exception)[:(]/ {print "    " $0; n = 0}' "$WORK/server.log" | head -n 60 >&2
    else
      echo "--- last lines of the server log" >&2
      grep -Ev '" [1-4][0-9][0-9] |\] (Not Found|Bad Request|Conflict|Forbidden|Unauthorized|Method Not Allowed|Unsupported Media Type):|request_(started|finished)' \
        "$WORK/server.log" | tail -n 30 >&2 || true
    fi
  fi
  if [ "${CONTRACT_KEEP:-0}" = 1 ]; then
    echo "contract run: kept database $CONTRACT_DB and logs in $WORK"
  else
    psql "$ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS \"$CONTRACT_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "=== contract: database $CONTRACT_DB (fresh), migrate, demo data, bootstrap"
psql "$ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS \"$CONTRACT_DB\" WITH (FORCE)"
psql "$ADMIN_URL" -qAtc "CREATE DATABASE \"$CONTRACT_DB\""
export DEBUG=true
"$PY" manage.py migrate --noinput >"$WORK/migrate.log"
"$PY" manage.py createcachetable
"$PY" manage.py load_demo >"$WORK/load_demo.log"
"$PY" manage.py bootstrap --org Contract --owner-email contract@example.com --json >"$WORK/bootstrap.json"
read -r ORG_ID CONTRACT_PUBLIC_KEY CONTRACT_PRIVATE_KEY < <("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["orgId"], d["publicKey"], d["privateKey"])' "$WORK/bootstrap.json")
# And a service account of the same organization, for the pass with Bearer tokens.
"$PY" manage.py bootstrap --org Contract --owner-email contract@example.com --json --service-account \
  >"$WORK/bootstrap-service-account.json"
read -r CONTRACT_CLIENT_ID CONTRACT_CLIENT_SECRET < <("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["clientId"], d["clientSecret"])' "$WORK/bootstrap-service-account.json")
export CONTRACT_PUBLIC_KEY CONTRACT_PRIVATE_KEY CONTRACT_HARNESS_KEY_ID CONTRACT_SPARE_KEY_ID
export CONTRACT_CLIENT_ID CONTRACT_CLIENT_SECRET CONTRACT_SPARE_CLIENT_ID
"$PY" scripts/contract/seed.py "$ORG_ID" "$CONTRACT_PUBLIC_KEY" "$WORK/schemathesis.toml" >"$WORK/seed.json"
read -r CONTRACT_HARNESS_KEY_ID CONTRACT_SPARE_KEY_ID CONTRACT_SPARE_CLIENT_ID < <("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); print(d["harnessKeyId"], d["pools"]["api_user_id"][0], d["pools"]["client_id"][0])' \
  "$WORK/seed.json")
export DEBUG=false
# Readable log lines (not production's JSON), which the error count below and summary.py read.
export LOG_FORMAT=console

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
export CONTRACT_BASE_URL=$BASE
echo "=== contract: server on $BASE, Celery worker on queue $CELERY_QUEUE"
.venv/bin/celery -A accessportal worker --pool solo --loglevel WARNING >"$WORK/worker.log" 2>&1 &
worker_pid=$!
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload >"$WORK/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited at start-up" >&2; exit 1; }
  sleep 0.5
done

echo "=== contract: schemathesis ($CHECKS; $MAX_EXAMPLES examples, seed $SEED, $WORKERS workers)"
started=$SECONDS
set +e
SCHEMATHESIS_HOOKS=scripts/contract/hooks.py .venv/bin/schemathesis --config-file "$WORK/schemathesis.toml" run \
  "$BASE/api/atlas/v2/openapi.json?format=json" \
  --url "$BASE" \
  --wait-for-schema 30 \
  --checks "$CHECKS" \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers "$WORKERS" \
  --generation-database none \
  --request-timeout 30 \
  --no-color \
  --report junit --report-junit-path "$WORK/junit.xml" \
  "$@"
rc=$?
echo "=== contract: schemathesis exited $rc after $((SECONDS - started)) s"
# The service accounts' operations once more, authenticated as a service account with a Bearer token.
echo "=== contract: schemathesis, Bearer token pass over the service accounts' operations"
started=$SECONDS
CONTRACT_AUTH=bearer SCHEMATHESIS_HOOKS=scripts/contract/hooks.py .venv/bin/schemathesis \
  --config-file "$WORK/schemathesis.toml" run \
  "$BASE/api/atlas/v2/openapi.json?format=json" \
  --url "$BASE" \
  --include-path-regex 'serviceAccounts' \
  --checks "$CHECKS" \
  --max-examples "$BEARER_MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers "$WORKERS" \
  --generation-database none \
  --request-timeout 30 \
  --no-color \
  --report junit --report-junit-path "$WORK/junit-bearer.xml" \
  "$@"
bearer_rc=$?
set -e
echo "=== contract: Bearer pass exited $bearer_rc after $((SECONDS - started)) s"
[ "$rc" -ne 0 ] || rc=$bearer_rc
"$PY" - "$BASE" "$WORK/schema.json" <<'PY' && "$PY" scripts/contract/summary.py "$WORK/schema.json" "$WORK/server.log" || true
import sys, urllib.request
open(sys.argv[2], "wb").write(urllib.request.urlopen(f"{sys.argv[1]}/api/atlas/v2/openapi.json?format=json").read())
PY
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "the server died during the run" >&2
  exit 1
fi
# The run's key must still work at the end: otherwise later answers were 401s that merely matched the schema.
"$PY" - "$BASE" "$ORG_ID" <<'PY'
import os, sys
import requests
from requests.auth import HTTPDigestAuth
base, org_id = sys.argv[1:3]
auth = HTTPDigestAuth(os.environ["CONTRACT_PUBLIC_KEY"], os.environ["CONTRACT_PRIVATE_KEY"])
response = requests.get(f"{base}/api/atlas/v2/orgs/{org_id}", auth=auth, timeout=30)
if response.status_code != 200:
    sys.exit(f"contract run: the run's API key no longer works ({response.status_code}): {response.text[:300]}")
token = requests.post(
    f"{base}/api/oauth/token",
    data={"grant_type": "client_credentials"},
    auth=(os.environ["CONTRACT_CLIENT_ID"], os.environ["CONTRACT_CLIENT_SECRET"]),
    timeout=30,
)
if token.status_code != 200:
    sys.exit(f"contract run: the run's service account no longer works ({token.status_code}): {token.text[:300]}")
PY
errors=$(grep -c 'Internal Server Error: ' "$WORK/server.log" || true)
if [ "$errors" -gt 0 ]; then
  echo "contract run: the server logged $errors internal server errors" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
