# Fills a Changemaker SQLite database (`contacts.py <database>`, see contacts-export.sh) with a
# large CRM: 50,000 contacts, each with two tags (one of 40 zones, and "member" for half) and
# three activities on their timeline.
import sqlite3, sys, time, random
db = sqlite3.connect(sys.argv[1])
random.seed(7)
now = int(time.time())
contacts = [(f"c{n}", f"v{n}@example.org", f"Volunteer {n}", "PUBLIC", now - n * 60, now) for n in range(50000)]
db.executemany("INSERT INTO contacts (id,email,name,source,created_at,updated_at) VALUES (?,?,?,?,?,?)", contacts)
tags = []
for n in range(50000):
    tags.append((f"c{n}", f"zone-{random.randrange(40)}", now))
    tags.append((f"c{n}", "member" if n % 2 else "supporter", now))
db.executemany("INSERT INTO contact_tags (contact_id,tag,created_at) VALUES (?,?,?)", tags)
activity = [(f"a{n}-{k}", f"e{n}-{k}", f"c{n}", "shift.signup.created", "Signed up", 10, now - k * 86400)
            for n in range(50000) for k in range(3)]
db.executemany("INSERT INTO contact_activity (id,event_id,contact_id,topic,summary,points,occurred_at) VALUES (?,?,?,?,?,?,?)", activity)
db.commit()
print(db.execute("SELECT COUNT(*) FROM contacts").fetchone(), db.execute("SELECT COUNT(*) FROM contact_tags").fetchone())
