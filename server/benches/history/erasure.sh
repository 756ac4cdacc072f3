#!/usr/bin/env bash
# Times erasing a contact (`POST /api/contacts/erase`) on a large CRM with a long event log
# (contacts.py and events.py: 50,000 contacts, 500,000 events), and a tenth of a second in, another
# organiser's change of one contact's tags, to show how long other writes wait meanwhile.
#   server/benches/history/erasure.sh target/debug/changemaker
# Each run erases the next contact of three (c4711, c4712, c4713); a fourth run fills
# /tmp/changemaker-erasure again.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-erasure; addr=127.0.0.1:3996
. "$here/server.sh"
[ -f "$dir/erased" ] && [ "$(wc -l < "$dir/erased")" -ge 3 ] && rm -f "$dir/filled"
fill() { python3 "$here/contacts.py" "$db"; python3 "$here/events.py" "$db"; : > "$dir/erased"; }
fill_once fill
n=$((4711 + $(wc -l < "$dir/erased")))
start
sign_in
curl -sf -b "$dir/jar" -H "$origin" -o "$dir/erase.body" -w "erased c$n: %{http_code} in %{time_total} s " \
  "http://$addr/api/contacts/erase" -d id=c$n -d confirm_email=v$n@example.org > "$dir/erase.out" &
erase=$!
sleep 0.1
curl -s -b "$dir/jar" -H "$origin" -o /dev/null -w '| one contact meanwhile: %{http_code} in %{time_total} s' \
  "http://$addr/api/contacts/tags" -d id=c1 -d add=meanwhile > "$dir/other.out"
wait $erase
echo "$(cat "$dir/erase.out") $(cat "$dir/other.out")"
echo c$n >> "$dir/erased"
stop
