# expect: deterministic, impure, race
# Forked tasks record what they saw in a set the caller handed them, with no lock: every
# order gives the same set, but the adds race with each other (and write the caller's set).
import torch
from typing import Set


def tag(seen: Set[int], x: int) -> int:
    seen.add(x % 3)
    return x


def main():
    seen = set()
    futs = [torch.jit.fork(tag, seen, x) for x in range(4)]
    total = sum([torch.jit.wait(f) for f in futs])
    return total, seen
