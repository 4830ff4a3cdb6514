# expect: deterministic
# The "Dynamic Parallelism in TorchScript" ensemble: one fork per model of a ModuleList,
# the futures kept in a list, their results combined after waiting all of them.
import torch
import torch.nn as nn
from torch import Tensor
from torch.jit import Future
from typing import List


class Member(nn.Module):
    def __init__(self, k: int):
        super().__init__()
        self.k = k

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x - self.k)


class Ensemble(nn.Module):
    def __init__(self, n_models: int = 4):
        super().__init__()
        self.models = nn.ModuleList([Member(k) for k in range(n_models)])

    def forward(self, x: Tensor) -> Tensor:
        futures: List[Future[Tensor]] = [torch.jit.fork(m, x) for m in self.models]
        results = [torch.jit.wait(fut) for fut in futures]
        return sum(results)


def main():
    ens = torch.jit.script(Ensemble(n_models=4))
    return ens(torch.tensor(5))
