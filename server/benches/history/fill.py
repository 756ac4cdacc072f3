# Fills a Changemaker SQLite database (`fill.py <database> <admin user id>`, see my-shifts.sh)
# with a large history: 2,000 volunteer accounts (one of them the signed-in admin's), 10,000
# shifts of 3 hours over three years (a quarter of them still to come), 100,000 sign-ups, 40%
# made signed in (user_id set).
import sqlite3, sys, time, random
db = sqlite3.connect(sys.argv[1])
admin_id = sys.argv[2]
random.seed(7)
now = int(time.time())
day = 86400
users = [admin_id] + [f"u{n}" for n in range(1, 2000)]
db.executemany("INSERT INTO users (id,email,display_name,password_hash,role,status,created_at,updated_at) VALUES (?,?,?,?,?,?,?,?)",
    [(u, f"{u}@example.org", u, "x", "VOLUNTEER", "ACTIVE", now, now) for u in users[1:]])
db.executemany("INSERT INTO contacts (id,email,name,source,created_at,updated_at) VALUES (?,?,?,?,?,?)",
    [(f"c{n}", f"v{n}@example.org", f"V {n}", "PUBLIC", now, now) for n in range(2000)])
shifts = []
for n in range(10000):
    start = now - 820 * day + n * (1095 * day // 10000)
    shifts.append((f"s{n}", f"Shift {n}", "", "Hall", start, start + 3 * 3600, 20, 10, "OPEN", 1, None, now, now))
db.executemany("INSERT INTO shifts (id,title,description,location,starts_at,ends_at,capacity,signed_up,status,is_public,series_id,created_at,updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", shifts)
rows = []
seq = 0
for n in range(10000):
    for k in range(10):
        seq += 1
        v = random.randrange(2000)
        user = users[v] if random.random() < 0.4 else None
        rows.append((f"g{seq}", f"s{n}", f"c{v}", user, f"V {v}", f"x{seq}@example.org", None, "PUBLIC", "CONFIRMED", f"h{seq}", now, seq, None))
db.executemany("INSERT INTO shift_signups (id,shift_id,contact_id,user_id,name,email,phone,source,status,cancel_token_hash,created_at,queued_seq,cancelled_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
print(db.execute("SELECT COUNT(*) FROM shift_signups").fetchone(), db.execute("SELECT COUNT(*) FROM shift_signups WHERE user_id = ?", (admin_id,)).fetchone())
