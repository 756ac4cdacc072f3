#!/usr/bin/env bash
# Times a phone-sized photo's upload as a story's picture (`POST /api/stories/<id>/picture`),
# three times, with what is stored: the upload is received, made fit for the pages (upright, at
# most 1,600 pixels a side, without metadata) and synced before it answers.
#   server/benches/history/pictures.sh target/debug/changemaker
# photo.mjs draws the photo (4,032 × 3,024, 4.6 MB) with Chromium into /tmp/changemaker-pictures.
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")")
dir=/tmp/changemaker-pictures; addr=127.0.0.1:3995
. "$here/server.sh"
fill_once true
[ -f "$dir/photo.jpg" ] || node "$here/photo.mjs" "$dir/photo.jpg"
start
sign_in
story=$(curl -sf -b "$dir/jar" -H "$origin" "http://$addr/api/stories/save" \
  -d form[title]="Bench $(date +%s%N)" -d form[summary]=Pictures -d form[body]=Text | sed 's/.*"id":"\([^"]*\)".*/\1/')
echo "photo.jpg: $(stat -c %s "$dir/photo.jpg") bytes"
for _ in 1 2 3; do
  curl -sf -b "$dir/jar" -H "$origin" -o "$dir/story.json" -w 'uploaded in %{time_total} s' \
    "http://$addr/api/stories/$story/picture" -F alt=Crowd -F file=@"$dir/photo.jpg"
  name=$(sed 's/.*"name":"\([^"]*\)".*/\1/' "$dir/story.json")
  echo ", stored $(stat -c %s "$data/media/pictures/$name") bytes as $name"
done
stop
