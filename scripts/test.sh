#!/usr/bin/env bash
# The whole suite: system packages and services, static checks, then the tests on SQLite and on PostgreSQL.
# Every step runs even when an earlier one fails; the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=config.settings.test
export PYTHONDONTWRITEBYTECODE=1
mkdir -p test-results
FAILED=()
SUMMARY=()
TOTAL_PASSED=0
TOTAL_FAILED=0

step() {  # step NAME COMMAND...: run, remember a failure
    local name="$1"
    shift
    echo
    echo "==> $name"
    if ! "$@"; then
        FAILED+=("$name")
    fi
}

# -- Debian packages the tests need (Chromium for browser journeys; for PDFs, fonts with Vietnamese glyphs and
#    the HarfBuzz subsetter WeasyPrint embeds fonts with).
need=()
for pkg in chromium fonts-liberation2 libharfbuzz-subset0; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "==> apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# -- Services: PostgreSQL and Redis, started only when they do not answer.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "==> starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "==> starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

# -- Static checks.
step "ruff check" $BIN/ruff check .
step "ruff format --check" $BIN/ruff format --check .
mapfile -t TYPED < <(ls -d edudx/*/rules.py edudx/*/services.py edudx/*/services edudx/*/selectors.py \
    edudx/*/selectors edudx/*/permissions.py edudx/payments/*.py edudx/procedures/*.py \
    edudx/accounts/signup.py edudx/accounts/oidc.py \
    2>/dev/null | sort -u)
step "mypy (rules, services, selectors, permissions)" $BIN/mypy "${TYPED[@]}"
step "import-linter" $BIN/lint-imports --no-cache
step "makemigrations --check" $PY manage.py makemigrations --check --dry-run

# -- Tests. pytest's own closing line is kept for the summary.
run_pytest() {  # run_pytest LABEL ARGS...
    local label="$1"
    shift
    local log="test-results/pytest-$label.log"
    echo
    echo "==> pytest on $label"
    $BIN/pytest "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local last passed failed errors
    last=$(grep -E "([0-9]+ (passed|failed|errors?)|no tests ran).* in [0-9.]+s" "$log" | tail -1)
    passed=$(grep -oE "[0-9]+ passed" <<<"$last" | grep -oE "[0-9]+" || echo 0)
    failed=$(grep -oE "[0-9]+ failed" <<<"$last" | grep -oE "[0-9]+" || echo 0)
    errors=$(grep -oE "[0-9]+ errors?" <<<"$last" | grep -oE "[0-9]+" || echo 0)
    SUMMARY+=("$label: ${passed:-0} passed, $((${failed:-0} + ${errors:-0})) failed")
    TOTAL_PASSED=$((TOTAL_PASSED + ${passed:-0}))
    TOTAL_FAILED=$((TOTAL_FAILED + ${failed:-0} + ${errors:-0}))
    if [ "$status" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then
        FAILED+=("pytest on $label")
    fi
}

run_pytest sqlite -q -n 2 -m "not postgres_only"

if ! psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname = 'edudx'" | grep -q 1; then
    createdb -h 127.0.0.1 -U postgres edudx
fi
DATABASE_URL=postgres://postgres@127.0.0.1:5432/edudx run_pytest postgresql -q -n 2

echo
echo "==> Summary"
if [ "${#FAILED[@]}" -gt 0 ]; then
    echo "Failed steps: ${FAILED[*]}"
else
    echo "Static checks and both test runs passed."
fi
for line in "${SUMMARY[@]}"; do echo "$line"; done
echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "${#FAILED[@]}" -eq 0 ]
