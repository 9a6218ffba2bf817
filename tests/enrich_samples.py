"""Invented article texts for the enrich tests (no corpus text)."""

from __future__ import annotations

import random

CHIP = (
    "Halvorsen Semiconductor unveiled its third generation accelerator for training large "
    "language models on Tuesday. The chip pairs a compute die with high bandwidth memory and "
    "the company claims it trains models twice as fast as the previous part while drawing "
    "less power. Cloud providers have already ordered the accelerator for their data centers, "
    "and shipments begin in the spring. Analysts said the launch puts pressure on rivals whose "
    "accelerators dominate the market for artificial intelligence hardware."
)
CHIP_REWRITE = (
    "A new accelerator from Halvorsen Semiconductor promises to train large language models "
    "twice as fast. The third generation chip combines high bandwidth memory with a new "
    "compute die and draws less power, the company said. Data center operators and cloud "
    "providers have placed orders and the first shipments are due in the spring, putting "
    "pressure on rival accelerator makers in artificial intelligence hardware."
)
CARS = (
    "Regulators in California approved driverless taxis for paid rides across the whole city "
    "after a year of testing. The robotaxi operator said its vehicles drove millions of miles "
    "without a serious crash, but residents complained about cars blocking fire trucks and "
    "stalling in intersections. The city will review the permits after six months."
)
FACES = (
    "The police department suspended its use of facial recognition software after an audit "
    "found the system misidentified residents and matched innocent people to mugshots. Civil "
    "liberties groups asked the council to ban the surveillance tool entirely."
)


def edited(text: str, changes: int, seed: int = 3) -> str:
    """``text`` with ``changes`` words replaced, like a syndicated copy with a new dateline."""
    rng = random.Random(seed)
    tokens = text.split()
    for _ in range(changes):
        tokens[rng.randrange(len(tokens))] = rng.choice(["reportedly", "Reuters", "also"])
    return " ".join(tokens)
