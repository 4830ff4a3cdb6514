# expect: deterministic
# Forks inside forks: `forward` forks a scripted function that forks again; every
# future is waited by the task that forked it.
import torch
from torch import Tensor
from typing import List


@torch.jit.script
def leaf(x: Tensor) -> Tensor:
    return torch.neg(x)


@torch.jit.script
def middle(x: Tensor) -> Tensor:
    futs = torch.jit.annotate(List[torch.jit.Future[Tensor]], [])
    for i in range(2):
        futs.append(torch.jit.fork(leaf, x + i))
    return torch.jit.wait(futs[0]) + torch.jit.wait(futs[1])


class Model(torch.nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        a = torch.jit.fork(middle, x)
        b = torch.jit.fork(middle, x * 10)
        return torch.jit.wait(a) * 1000 + torch.jit.wait(b)


def main():
    return Model()(torch.tensor(1))
