# expect: deterministic, impure
# Modules defined inside the test function, as PyTorch's own fork/wait tests write them:
# their methods close over `main`'s locals (a helper function, a list, another local
# class). `Sub` is pure; `Top` appends every input to `main`'s `seen` list from a forked
# task: an impure write to the caller's state (input), found although the value is
# always the same.
import torch
import torch.nn as nn
from torch import Tensor


def main():
    seen = []
    offset = 1

    def add_offset(x: Tensor) -> Tensor:
        return x + offset

    class Sub(nn.Module):
        def __init__(self):
            super(Sub, self).__init__()
            self.a = 10

        def forward(self, x: Tensor) -> Tensor:
            fut = torch.jit._fork(add_offset, x)
            return torch.jit._wait(fut) + self.a

    class Top(nn.Module):
        def __init__(self):
            super().__init__()
            self.sub = Sub()

        def forward(self, x: Tensor) -> Tensor:
            seen.append(x)
            fut = torch.jit._fork(self.sub.forward, x)
            return self.sub(x) + torch.jit._wait(fut)

    m = torch.jit.script(Top())
    m.eval()
    fut = torch.jit.fork(m, 3)
    return (torch.jit.wait(fut), len(seen))


if __name__ == "__main__":
    print(main())
