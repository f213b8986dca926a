"""Admin-ordered lists (lead statuses, picklists, stages, assignment rules): their labels compared
as the admin reads them, and moving one entry up or down."""

DIRECTIONS = ("up", "down")


def same_label(a: str, b: str) -> bool:
    # casefold in Python: SQLite's lower() only folds ASCII, and the lists are short.
    return a.strip().casefold() == b.strip().casefold()


def renumber(records: list) -> None:
    for position, record in enumerate(records, 1):
        record.position = position


def move(records: list, record, direction: str) -> bool:
    """Swap `record` with its neighbour in `records` (already in order); False at either end."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    index = records.index(record)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(records):
        renumber(records)
        return False
    records[index], records[other] = records[other], records[index]
    renumber(records)
    return True
