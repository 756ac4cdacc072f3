# Fills a Changemaker SQLite database (`canvass.py <database> <admin user id>`, see
# admin-pages.sh) with a city's canvassing: 50,000 addresses on 500 streets in 100 postal
# districts, 100 turfs of five streets each, 2,000 ended sessions (20 a turf) by the admin,
# and 39,302 visits recorded in them (40,000 drawn; a door is knocked once a session).
import sqlite3, sys, time, random
db = sqlite3.connect(sys.argv[1])
admin_id = sys.argv[2]
random.seed(7)
now = int(time.time())
streets = [f"{name} {kind}" for name in (f"Street{n}" for n in range(100)) for kind in ("Rd", "Ave", "St", "Lane", "Way")]
addresses = []
for n in range(50000):
    street = streets[n % 500]
    postal = f"K{n % 100:02d} {n % 7}B{n % 3}"
    addresses.append((f"a{n}", f"{n // 500 + 1} {street}", "Ottawa", postal, f"{n // 500 + 1} {street.lower()}|{postal.lower()}", now, now))
db.executemany("INSERT INTO canvass_addresses (id,street,city,postal_code,address_key,created_at,updated_at) VALUES (?,?,?,?,?,?,?)", addresses)
turfs = [(f"t{n}", f"Turf {n:03d}", f"turf {n:03d}", "\n".join(streets[5 * n:5 * n + 5]), now) for n in range(100)]
db.executemany("INSERT INTO canvass_turfs (id,name,name_key,areas,created_at) VALUES (?,?,?,?,?)", turfs)
sessions = [(f"s{n}", admin_id, now - 86400 * (n + 1), now - 86400 * (n + 1) + 7200, 20, 8, f"t{n % 100}") for n in range(2000)]
db.executemany("INSERT INTO canvass_sessions (id,canvasser_user_id,started_at,ended_at,doors_knocked,conversations,turf_id) VALUES (?,?,?,?,?,?,?)", sessions)
outcomes = ["NOT_HOME", "REFUSED", "SUPPORTER", "UNDECIDED", "OPPOSED", "MOVED"]
visits = []
for n in range(2000):
    turf = n % 100
    # Twenty doors on the turf's five streets (a street's addresses are every 500th).
    for k in range(20):
        address = 5 * turf + random.randrange(5) + 500 * random.randrange(100)
        visits.append((f"v{n}-{k}", f"s{n}", f"a{address}", random.choice(outcomes), "", now - 86400 * (n + 1)))
db.executemany("INSERT OR IGNORE INTO canvass_visits (id,session_id,address_id,outcome,notes,visited_at) VALUES (?,?,?,?,?,?)", visits)
db.commit()
print(db.execute("SELECT COUNT(*) FROM canvass_addresses").fetchone(), db.execute("SELECT COUNT(*) FROM canvass_visits").fetchone())
