#!/usr/bin/env bash
# Times a volunteer's own requests (My shifts, Shifts you have done, a shift page's clash
# notice, the My shifts page) and a shift's admin page (its sign-ups, each marked with the
# volunteer's other shifts at its time) on a large history: five runs each, in seconds.
#   server/benches/history/my-shifts.sh target/debug/changemaker
# The first run fills /tmp/changemaker-history (fill.py: 100,000 sign-ups); later runs reuse it.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-history; addr=127.0.0.1:3998
. "$here/server.sh"
# fill.py needs the administrator's id, known once they are made.
fill() { python3 "$here/fill.py" "$db" "$(sqlite3 "$db" 'SELECT id FROM users')"; }
fill_once fill
start
sign_in
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
