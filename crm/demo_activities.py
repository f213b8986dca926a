"""seed-demo's activities: the notes, calls, emails, tasks and events of the seeded records.

Each is stored as crm.activities.services.add_activity() stores it: the kind's own fields only,
a task's priority and assignee, an event's start and end, and the record's links (an activity on a
contact or an opportunity also carries its account, as record_links() gives it).
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from crm.demo_random import SeededRandom, chunked, picker

# Which records get activities (by their share), and which kinds.
RECORD_WEIGHTS = {"lead": 40, "contact": 25, "opportunity": 20, "account": 15}
KIND_WEIGHTS = {"note": 20, "call": 25, "email": 25, "task": 20, "event": 10}
# Tasks older than a month are done, and this share of the recent ones; the open ones are due
# around today, a few overdue.
RECENT_DONE_SHARE = 0.3
PRIORITY_WEIGHTS = {"High": 20, "Normal": 60, "Low": 20}
SUBJECTS = {
    "note": ("Budget confirmed for next quarter", "Decision expected by month end", "Prefers email to calls",
             "Met at the trade show", "Evaluating two competitors", "New stakeholder in the buying committee",
             "Asked for a security questionnaire", "Internal champion identified", "Contract up for renewal",
             "Pricing concerns raised"),
    "call": ("Discovery call", "Follow-up call", "Left a voicemail", "Qualification call", "Call about the quote",
             "Check-in call", "Call with the decision maker", "Callback requested", "Intro call",
             "Reference call"),
    "email": ("Sent the proposal", "Re: pricing question", "Intro email", "Sent the case study",
              "Follow-up after the demo", "Re: contract redlines", "Shared the onboarding plan",
              "Sent meeting notes", "Re: trial extension", "Newsletter reply"),
    "task": ("Send the quote", "Follow up on the proposal", "Prepare the demo", "Book a meeting",
             "Update the contact details", "Send the contract", "Call back", "Check the budget owner",
             "Send references", "Prepare the renewal"),
    "event": ("Product demo", "On-site visit", "Quarterly business review", "Kick-off meeting", "Workshop",
              "Lunch meeting", "Contract review meeting", "Webinar", "Trade show meeting", "Executive briefing"),
}
BODIES = (
    "Went well; they want to see the reporting module next.",
    "No answer, will try again next week.",
    "They are comparing us with two other vendors; price matters but support matters more.",
    "Agreed on next steps: proposal by Friday, then a call with their finance team.",
    "Asked for a discount on a three-year commitment.",
    "The pilot covers two teams; success criteria to be confirmed.",
    "Key contact is leaving at the end of the month: find the new owner.",
    "Sent over the documents they asked for.",
    "Interested, but not before the next budget cycle.",
    "Very positive; legal review is the last step.",
)
EVENT_MINUTES = (30, 30, 45, 60, 60, 90, 120)
# Activities of the last so many days leave open tasks due in the coming weeks.
DUE_WINDOW = (-14, 30)


def generate_activities(count: int, *, records: dict[str, list[tuple[int, int | None, int, datetime]]],
                        owner_ids: list[int], seed: int, now: datetime, chunk_size: int) -> Iterator[list[dict]]:
    """Yield `count` activities' rows, `chunk_size` at a time, on the given records.

    `records` maps lead, contact, account and opportunity to their (id, account id or None, owner id,
    created at); an activity is made by the record's owner (a task sometimes goes to another user),
    some time between the record's creation and `now`."""
    kinds_of_records = {kind: weight for kind, weight in RECORD_WEIGHTS.items() if records.get(kind)}
    if count <= 0 or not kinds_of_records:
        return
    rng = SeededRandom(seed)
    pick_record_kind = picker(rng, list(kinds_of_records), list(kinds_of_records.values()))
    pick_kind = picker(rng, list(KIND_WEIGHTS), list(KIND_WEIGHTS.values()))
    pick_priority = picker(rng, list(PRIORITY_WEIGHTS), list(PRIORITY_WEIGHTS.values()))
    today = now.date()

    def rows() -> Iterator[dict]:
        for _ in range(count):
            record_kind = pick_record_kind()
            record_id, account_id, owner_id, record_created = rng.choice(records[record_kind])
            kind = pick_kind()
            # Recent activity is the most common: the age is skewed towards now.
            span = (now - record_created).total_seconds()
            created_at = now - timedelta(seconds=int(span * rng.random() ** 2))
            row = {
                "kind": kind,
                "subject": rng.choice(SUBJECTS[kind]),
                "body": rng.choice(BODIES) if rng.random() < 0.6 else None,
                "due_date": None,
                "priority": None,
                "assignee_id": None,
                "done": False,
                "done_at": None,
                "starts_at": None,
                "ends_at": None,
                "lead_id": record_id if record_kind == "lead" else None,
                "account_id": account_id if record_kind != "lead" else None,
                "contact_id": record_id if record_kind == "contact" else None,
                "opportunity_id": record_id if record_kind == "opportunity" else None,
                "created_by_id": owner_id,
                "created_at": created_at,
                "updated_at": created_at,
            }
            if kind == "task":
                row["priority"] = pick_priority()
                row["assignee_id"] = owner_id if rng.random() < 0.8 else rng.choice(owner_ids)
                # Tasks made long ago are done; recent ones are mostly open, due soon (some overdue).
                done = created_at < now - timedelta(days=30) or rng.random() < RECENT_DONE_SHARE
                if done:
                    row["due_date"] = created_at.date() + timedelta(days=rng.randint(1, 14))
                    row["done"] = True
                    done_at = min(now, created_at + timedelta(seconds=rng.randint(600, 14 * 86400)))
                    row["done_at"] = row["updated_at"] = done_at
                else:
                    row["due_date"] = max(created_at.date(), today + timedelta(days=rng.randint(*DUE_WINDOW)))
            elif kind == "event":
                # On the hour or the half hour, in working hours, around its creation (some upcoming).
                day = created_at.date() + timedelta(days=rng.randint(0, 21))
                starts_at = datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.choice((0, 30)))
                row["starts_at"] = starts_at
                row["ends_at"] = starts_at + timedelta(minutes=rng.choice(EVENT_MINUTES))
            yield row

    yield from chunked(rows(), chunk_size)
