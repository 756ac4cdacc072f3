#!/usr/bin/env bash
# Times every admin page (server-side rendered, as an admin opening it gets it) on a large
# history, three times each (status and seconds): `crm` is contacts.py and events.py's (50,000 contacts,
# 150,000 activities, 500,000 events), `shifts` fill.py's (10,000 shifts, 100,000 sign-ups),
# `canvass` canvass.py's (50,000 addresses, 100 turfs, 39,302 visits).
#   server/benches/history/admin-pages.sh target/debug/changemaker crm|shifts|canvass
# The first run of each fills /tmp/changemaker-admin-<history>; later runs reuse it.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")"); history=$2
dir=/tmp/changemaker-admin-$history; addr=127.0.0.1:3999
. "$here/server.sh"
case $history in
  crm) fill() { python3 "$here/contacts.py" "$db"; python3 "$here/events.py" "$db"; } ;;
  shifts) fill() { python3 "$here/fill.py" "$db" "$(sqlite3 "$db" 'SELECT id FROM users')"; } ;;
  canvass) fill() { python3 "$here/canvass.py" "$db" "$(sqlite3 "$db" 'SELECT id FROM users')"; } ;;
  *) echo "crm, shifts or canvass" >&2; exit 2 ;;
esac
fill_once fill
start
sign_in
shift_id=$(sqlite3 "$db" "SELECT id FROM shifts ORDER BY starts_at DESC LIMIT 1")
contact_id=$(sqlite3 "$db" "SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET 1000")
turf_id=$(sqlite3 "$db" "SELECT id FROM canvass_turfs ORDER BY name_key LIMIT 1")
address_id=$(sqlite3 "$db" "SELECT id FROM canvass_addresses ORDER BY id LIMIT 1")
for page in /admin /admin/shifts /admin/shifts/hours ${shift_id:+/admin/shifts/$shift_id} \
  /admin/ticketed-events /admin/meetings /admin/calendar /admin/canvass \
  ${turf_id:+/admin/canvass/turfs/$turf_id} ${address_id:+/admin/canvass/addresses/$address_id} /canvass /admin/stories \
  /admin/videos /admin/sms /admin/sms/campaigns /admin/users /admin/campaigns /admin/contacts \
  "/admin/contacts?q=4711" /admin/contacts/leaderboard ${contact_id:+/admin/contacts/$contact_id} \
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
