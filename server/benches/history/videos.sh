#!/usr/bin/env bash
# Times a large video's upload (`POST /api/videos/<id>/file`), three times as an MP4 whose
# movie says where it was filmed (its metadata blanked in place before it is moved into place)
# and three times as a WebM of the same size (kept as uploaded), with what is stored.
#   server/benches/history/videos.sh target/debug/changemaker [megabytes, 900 by default]
set -euo pipefail
bin=$(realpath "$1"); here=$(dirname "$(realpath "$0")"); megabytes=${2:-900}
dir=/tmp/changemaker-videos; addr=127.0.0.1:3997
. "$here/server.sh"
fill_once true
# ftyp, a movie with its user data saying where, then the media data; a WebM header, then as
# many bytes. Sparse files: what is timed is the server's receiving, not the disk's reading.
python3 - "$dir" "$megabytes" <<'PY'
import struct, sys, os
folder, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
def box(kind, content): return struct.pack(">I", len(content) + 8) + kind + content
head = box(b"ftyp", b"isomiso2avc1mp41") + box(b"moov", box(b"mvhd", bytes(100)) +
    box(b"udta", box(b"\xa9xyz", b"\0\x12\x15\xc7+51.5000-000.1000/")))
head += struct.pack(">I", size - len(head)) + b"mdat"
for name, first in (("film.mp4", head), ("film.webm", b"\x1a\x45\xdf\xa3")):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(first); f.truncate(size)
PY
start
sign_in
for file in film.mp4 film.webm; do
  video=$(curl -sf -b "$dir/jar" -H "$origin" "http://$addr/api/videos/save" -d id= \
    -d form[title]="Bench $(date +%s%N)" -d form[slug]= -d form[video_url]= -d form[description]= \
    | sed 's/.*"id":"\([^"]*\)".*/\1/')
  for _ in 1 2 3; do
    curl -sf -b "$dir/jar" -H "$origin" -o "$dir/video.json" -w "$file: $(stat -c %s "$dir/$file") bytes uploaded in %{time_total} s" \
      "http://$addr/api/videos/$video/file" -F file=@"$dir/$file"
    name=$(sed 's/.*"file":{"name":"\([^"]*\)".*/\1/' "$dir/video.json")
    stored=$data/media/videos/$name
    echo ", stored $(stat -c %s "$stored") bytes; the place found in it $(grep -c -a '+51.5000' "$stored" || true) times"
  done
  curl -sf -b "$dir/jar" -H "$origin" -o /dev/null "http://$addr/api/videos/delete" -d id="$video"
done
stop
rm "$dir/film.mp4" "$dir/film.webm"
