# expect: nondeterministic, impure, race
# A bug TorchScript does not catch: two forks of one submodule whose `forward` counts its
# calls in a module attribute. The unsynchronized read-modify-write loses updates.
import torch
import torch.nn as nn


class Counting(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x: int) -> int:
        self.calls += 1
        return x


class Top(nn.Module):
    def __init__(self):
        super().__init__()
        self.sub = Counting()

    def forward(self, x: int) -> int:
        a = torch.jit.fork(self.sub, x)
        b = torch.jit.fork(self.sub, x)
        return torch.jit.wait(a) + torch.jit.wait(b) + self.sub.calls


def main():
    return Top()(1)
