#!/usr/bin/env bash
# Times the contacts export (`GET /api/contacts.csv`) and the contacts list (all, searched,
# by tag, a late page) on a large CRM: three runs each, in seconds.
#   server/benches/history/contacts-export.sh target/debug/changemaker
# The first run fills /tmp/changemaker-crm (contacts.py: 50,000 contacts, 100,000 tags);
# later runs reuse it.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-crm; addr=127.0.0.1:3997
. "$here/server.sh"
fill_once python3 "$here/contacts.py" "$db"
start
sign_in
printf '%-22s' contacts.csv
for _ in 1 2 3; do curl -sf -b "$dir/jar" -o /dev/null -w '%{time_total} ' "http://$addr/api/contacts.csv"; done
echo
for what in "all filter[page]=1" "searched filter[search]=Volunteer+4711" "tag filter[tag]=zone-7" \
  "page-900 filter[page]=900"; do
  set -- $what
  printf '%-22s' "list $1"
  for _ in 1 2 3; do
    curl -sf -b "$dir/jar" -H "$origin" -o /dev/null -w '%{time_total} ' "http://$addr/api/contacts/list" -d "$2"
  done
  echo
done
stop
