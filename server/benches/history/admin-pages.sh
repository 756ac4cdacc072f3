#!/usr/bin/env bash
# Times every admin page (server-side rendered, as an admin opening it gets it) on a large
# history, three times each (status and seconds): `crm` is contacts.py and events.py's (50,000 contacts,
# 150,000 activities, 500,000 events), `shifts` fill.py's (10,000 shifts, 100,000 sign-ups).
#   server/benches/history/admin-pages.sh target/debug/changemaker crm|shifts
# The first run of each fills /tmp/changemaker-admin-<history>; later runs reuse it.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")"); history=$2
dir=/tmp/changemaker-admin-$history; addr=127.0.0.1:3999
. "$here/server.sh"
case $history in
  crm) fill() { python3 "$here/contacts.py" "$db"; python3 "$here/events.py" "$db"; } ;;
  shifts) fill() { python3 "$here/fill.py" "$db" "$(sqlite3 "$db" 'SELECT id FROM users')"; } ;;
  *) echo "crm or shifts" >&2; exit 2 ;;
esac
fill_once fill
start
sign_in
shift_id=$(sqlite3 "$db" "SELECT id FROM shifts ORDER BY starts_at DESC LIMIT 1")
contact_id=$(sqlite3 "$db" "SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET 1000")
for page in /admin /admin/shifts /admin/shifts/hours ${shift_id:+/admin/shifts/$shift_id} \
  /admin/ticketed-events /admin/meetings /admin/calendar /admin/canvass /admin/stories \
  /admin/videos /admin/sms /admin/sms/campaigns /admin/users /admin/campaigns /admin/contacts \
  "/admin/contacts?q=4711" /admin/contacts/leaderboard /admin/contacts/$contact_id \
  /admin/reengagement /admin/emails /admin/settings /admin/integrations /admin/payments \
  /admin/payments/audit /admin/events/bus /admin/events/log /admin/audit; do
  printf '%-36s' "$page"
  # Not -f: a page that fails shows its status and the sweep goes on (and stops the server).
  for _ in 1 2 3; do
    curl -s -b "$dir/jar" -o /dev/null -w '%{http_code} %{time_total}  ' "http://$addr$page"
  done
  echo
done
stop
