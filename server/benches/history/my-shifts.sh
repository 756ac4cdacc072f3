#!/usr/bin/env bash
# Times a volunteer's own requests (My shifts, Shifts you have done, a shift page's clash
# notice, the My shifts page) and a shift's admin page (its sign-ups, each marked with the
# volunteer's other shifts at its time) on a large history: five runs each, in seconds.
#   server/benches/history/my-shifts.sh target/debug/changemaker
# The first run fills /tmp/changemaker-history (fill.py: 100,000 sign-ups); later runs reuse it.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-history; data=$dir/data; addr=127.0.0.1:3998; origin="Origin: http://$addr"
db=$data/changemaker.db
start() {
  CHANGEMAKER_DATA_DIR=$data LEPTOS_SITE_ADDR=$addr "$bin" > "$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://$addr/shifts" && return; sleep 0.2; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
if [ ! -f "$dir/filled" ]; then
  rm -rf "$dir"; mkdir -p "$data"; start
  token=$(grep -o 'token=[A-Za-z0-9_-]*' "$dir/server.log" | head -1 | cut -d= -f2)
  curl -sf -H "$origin" -o /dev/null "http://$addr/api/auth/setup" --data-urlencode "token=$token" \
    -d organisation_name=Bench -d display_name=Ana -d email=ana@example.org \
    -d password=correct-horse-battery -d password_confirm=correct-horse-battery
  stop
  python3 "$here/fill.py" "$db" "$(sqlite3 "$db" 'SELECT id FROM users')"
  touch "$dir/filled"
fi
start
curl -sf -c "$dir/jar" -H "$origin" -o /dev/null "http://$addr/api/auth/login" \
  -d email=ana@example.org -d password=correct-horse-battery
shift_id=$(sqlite3 "$db" "SELECT id FROM shifts WHERE starts_at > strftime('%s','now') LIMIT 1")
for what in mine mine-past "my-clashes shift_id=$shift_id" "admin-one id=$shift_id"; do
  set -- $what
  printf '%-12s' "$1"
  for _ in 1 2 3 4 5; do
    curl -sf -b "$dir/jar" -H "$origin" -o /dev/null -w '%{time_total} ' "http://$addr/api/shifts/$1" -d "${2:-}"
  done
  echo
done
printf '%-12s' /my/shifts
for _ in 1 2 3 4 5; do curl -sf -b "$dir/jar" -o /dev/null -w '%{time_total} ' "http://$addr/my/shifts"; done
echo
stop
