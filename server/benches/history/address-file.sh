#!/usr/bin/env bash
# Times adding a city's address list from a file: 50,000 addresses (1.8 MB) sent to
# /api/canvass/import-addresses on an empty list and followed to the end of its job, then the
# same file again (every address already listed). Makes /tmp/changemaker-address-file afresh.
#   server/benches/history/address-file.sh target/release/changemaker
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-address-file; addr=127.0.0.1:3999
. "$here/server.sh"
rm -rf "$dir"
fill_once true
start
sign_in
# 500 streets of 100 doors, a postal code a street.
python3 -c '
import json
lines = [f"{door} Street {street} Rd, Springfield, K{street % 10}A {street:03d}"
         for street in range(500) for door in range(1, 101)]
print(json.dumps({"lines": "\n".join(lines)}))' > "$dir/file.json"
ls -l "$dir/file.json" | awk '{print "file: " $5 " bytes"}'
job_of() { curl -sf -b "$dir/jar" -H "$origin" "http://$addr/api/jobs/get" -d id="$1"; }
for run in "an empty list" "the same file again"; do
  started=$(date +%s.%N)
  job=$(curl -sf -b "$dir/jar" -H "$origin" -H 'Content-Type: application/json' \
    --data-binary @"$dir/file.json" "http://$addr/api/canvass/import-addresses" | tr -d '"')
  accepted=$(date +%s.%N)
  while job_of "$job" | grep -q '"status":"RUNNING"'; do sleep 0.1; done
  ended=$(date +%s.%N)
  summary=$(job_of "$job" | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"]["summary"])')
  printf '%s: checked and accepted in %.2f s, done in %.2f s: %s\n' "$run" \
    "$(echo "$accepted - $started" | bc)" "$(echo "$ended - $started" | bc)" "$summary"
done
stop
rm -rf "$dir"
