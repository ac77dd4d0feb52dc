#!/usr/bin/env bash
# The embedded demo: SQLite database under var/, the database task queue with one worker, the web server.
# Environment: HOST (127.0.0.1), PORT (8000), SERVER=runserver|gunicorn, DJANGO_SETTINGS_MODULE.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
SERVER="${SERVER:-runserver}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export TASK_BACKEND="${TASK_BACKEND:-db}"
mkdir -p var

# Debian packages for PDFs (fonts with Vietnamese glyphs, the HarfBuzz subsetter WeasyPrint needs).
need=()
for pkg in fonts-liberation2 libharfbuzz-subset0; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    echo "==> apt-get install ${need[*]}"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; } ||
        echo "Cảnh báo: chưa cài được ${need[*]}; tạo PDF có thể lỗi hoặc thiếu dấu tiếng Việt." >&2
fi

echo "==> Cơ sở dữ liệu: migrate"
$PY manage.py migrate --noinput -v 0
echo "==> Tệp tĩnh: collectstatic"
$PY manage.py collectstatic --noinput -v 0
echo "==> Dữ liệu demo (chỉ nạp lần đầu)"
# load_demo does nothing on a database that already has the demo; it prints the accounts either way.
$PY manage.py load_demo --quiet-accounts
echo "==> Sổ điểm demo: điểm cả năm học, chứng thư số demo (chỉ nạp lần đầu)"
$PY manage.py load_gradebook_demo
echo "==> Dịch vụ công demo: Bộ phận Một cửa, lịch làm việc, hồ sơ 6 tháng (chỉ nạp lần đầu)"
$PY manage.py load_procedures_demo

WORKER_PID=""
stop_worker() {
    if [ -n "$WORKER_PID" ] && kill -0 "$WORKER_PID" 2>/dev/null; then
        echo "==> Dừng tiến trình xử lý nền ($WORKER_PID)"
        kill -TERM "$WORKER_PID" 2>/dev/null || true
        wait "$WORKER_PID" 2>/dev/null || true
    fi
}
trap stop_worker EXIT
trap 'exit 130' INT TERM

echo "==> Tiến trình xử lý nền: db_worker (nhật ký: var/worker.log)"
$PY manage.py db_worker --queue-name '*' >>var/worker.log 2>&1 &
WORKER_PID=$!
# The daily overdue warnings to handlers and leaders: each run queues the next morning's (at most one e-mail per
# dossier, recipient and day, so a restart that starts a second chain sends nothing twice).
$PY manage.py warn_overdue_dossiers --schedule >/dev/null || true

$PY manage.py load_demo 2>/dev/null | sed -n '/^Tài khoản/,$p'
echo
echo "EduDX đang chạy tại http://$HOST:$PORT/  (Ctrl+C để dừng)"
echo

if [ "$SERVER" = "gunicorn" ]; then
    .venv/bin/gunicorn config.wsgi:application --bind "$HOST:$PORT" --workers 2 --access-logfile -
else
    $PY manage.py runserver "$HOST:$PORT" --noreload
fi
