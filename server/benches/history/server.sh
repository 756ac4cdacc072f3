# Sourced by the history benchmarks, after setting $bin, $dir (the benchmark's directory) and
# $addr: start and stop a server on $dir/data at $addr, fill it once, sign in as its first
# administrator (ana@example.org).
data=$dir/data; db=$data/changemaker.db; origin="Origin: http://$addr"
start() {
  CHANGEMAKER_DATA_DIR=$data LEPTOS_SITE_ADDR=$addr "$bin" > "$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://$addr/shifts" && return; sleep 0.2; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
set_up_admin() {
  token=$(grep -o 'token=[A-Za-z0-9_-]*' "$dir/server.log" | head -1 | cut -d= -f2)
  curl -sf -H "$origin" -o /dev/null "http://$addr/api/auth/setup" --data-urlencode "token=$token" \
    -d organisation_name=Bench -d display_name=Ana -d email=ana@example.org \
    -d password=correct-horse-battery -d password_confirm=correct-horse-battery
}
sign_in() {
  curl -sf -c "$dir/jar" -H "$origin" -o /dev/null "http://$addr/api/auth/login" \
    -d email=ana@example.org -d password=correct-horse-battery
}
# The first run makes the data directory and its administrator, then runs the command given
# (a function, or a filler and its arguments); later runs reuse what it made.
fill_once() {
  [ -f "$dir/filled" ] && return
  rm -rf "$dir"; mkdir -p "$data"; start
  set_up_admin
  stop
  "$@"
  touch "$dir/filled"
}
