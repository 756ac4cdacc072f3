# Adds a long event log to a CRM that contacts.py filled (`events.py <database>`, see
# erasure.sh): each contact's contact.created, then 450,000 shift sign-up events spread over
# them (sign-ups, cancellations, attendance marks), 500,000 events in all, as a few years of
# a busy group's shifts leave behind.
import json, sqlite3, sys, random
db = sqlite3.connect(sys.argv[1])
random.seed(11)
rows = []
def add(topic, payload):
    n = len(rows) + 1
    rows.append((f"ev{n}", topic, "system", f"2025-01-01T00:00:{n % 60:02}Z", json.dumps(payload)))
for n in range(50000):
    add("contact.created", {"contact_id": f"c{n}", "email": f"v{n}@example.org", "name": f"Volunteer {n}", "source": "PUBLIC"})
for k in range(150000):
    n = random.randrange(50000)
    person = {"shift_id": f"s{k % 5000}", "shift_title": f"Shift {k % 5000}", "signup_id": f"g{k}", "contact_id": f"c{n}"}
    add("shift.signup.created", {**person, "name": f"Volunteer {n}", "email": f"v{n}@example.org", "source": "PUBLIC",
        "starts_at": "2025-02-01T10:00:00Z", "waitlisted": False, "promoted": False, "moved_from": None})
    add("shift.signup.cancelled", {**person, "name": f"Volunteer {n}", "email": f"v{n}@example.org", "reason": "VOLUNTEER"})
    add("shift.signup.marked", {**person, "attendance": "ATTENDED"})
db.executemany("INSERT INTO event_log (id,topic,actor,occurred_at,payload) VALUES (?,?,?,?,?)", rows)
db.commit()
print(db.execute("SELECT COUNT(*) FROM event_log").fetchone(), db.execute("SELECT COUNT(*) FROM event_log WHERE payload LIKE '%\"c4711\"%'").fetchone())
