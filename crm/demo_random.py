"""The seed's random numbers: random.Random, with the draws it makes a million times made cheaper,
and the two helpers every generator of the seed uses (weighted picks, rows in chunks)."""

import random
from bisect import bisect
from collections.abc import Callable, Iterator
from itertools import accumulate


class SeededRandom(random.Random):  # noqa: S311  (fake data, seeded on purpose)
    """choice() and randint() from one random() each (random.Random's loop on getrandbits costs twice
    as much); as deterministic for a seed, and as uniform as a double allows for these small ranges."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


def picker(rng: random.Random, values: list, weights: list[float]) -> Callable[[], object]:
    """A weighted choice, quicker than random.choices when called 100,000 times."""
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    return lambda: values[bisect(cumulative, rng.random() * total)]


def chunked(rows: Iterator[dict], chunk_size: int) -> Iterator[list[dict]]:
    """The rows in lists of `chunk_size` (Python 3.11 has no itertools.batched)."""
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
