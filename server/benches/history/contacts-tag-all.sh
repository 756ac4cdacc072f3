#!/usr/bin/env bash
# Times "Add or remove a tag on all of them" (`POST /api/contacts/tag-all`) on a large CRM,
# once on a tag's 1,288 contacts and once on all 50,000, adding then removing a tag; two
# half a second into each, one contact's own tag change, to show how long other writes wait.
#   server/benches/history/contacts-tag-all.sh target/debug/changemaker
# It shares /tmp/changemaker-crm with contacts-export.sh (contacts.py fills it once), and
# leaves it as it found it (each tag added is removed again).
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-crm; addr=127.0.0.1:3997
. "$here/server.sh"
fill_once python3 "$here/contacts.py" "$db"
start
sign_in
for what in "add filter[tag]=zone-7" "remove filter[tag]=zone-7" "add filter[search]=" "remove filter[search]="; do
  set -- $what
  printf '%-26s' "$1 $2"
  curl -sf -b "$dir/jar" -H "$origin" -o "$dir/bulk.body" -w 'in %{time_total} s' \
    "http://$addr/api/contacts/tag-all" -d "$2" -d "$1=bulk" > "$dir/bulk.out" &
  bulk=$!
  sleep 0.5
  curl -s -b "$dir/jar" -H "$origin" -o /dev/null -w '| one contact meanwhile: %{http_code} in %{time_total} s ' \
    "http://$addr/api/contacts/tags" -d id=c1 -d "$1=single"
  wait $bulk
  echo "| changed $(cat "$dir/bulk.body") $(cat "$dir/bulk.out")"
done
stop
