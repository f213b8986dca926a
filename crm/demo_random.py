"""The seed's random numbers: random.Random, with the draws it makes a million times made cheaper."""

import random


class SeededRandom(random.Random):  # noqa: S311  (fake data, seeded on purpose)
    """choice() and randint() from one random() each (random.Random's loop on getrandbits costs twice
    as much); as deterministic for a seed, and as uniform as a double allows for these small ranges."""

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))
