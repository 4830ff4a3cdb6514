# expect: deterministic
# A TorchScript module as its author writes it: `forward` forks a submodule and one of
# its own methods, then waits both (tensors are ints in models).
import torch
import torch.nn as nn
from torch import Tensor
from torch.jit import Future


class AddMod(nn.Module):
    def forward(self, a: Tensor, b: int) -> Tensor:
        return a + b


class Mod(torch.jit.ScriptModule):
    __constants__ = ["scale"]
    scale = 3

    def __init__(self) -> None:
        super().__init__()
        self.mod = AddMod()

    @torch.jit.script_method
    def scaled(self, x: Tensor) -> Tensor:
        return x * self.scale

    @torch.jit.script_method
    def forward(self, x: Tensor) -> Tensor:
        fut: Future[Tensor] = torch.jit.fork(self.mod, x, b=2)
        other = torch.jit._fork(self.scaled, x)
        return torch.jit.wait(fut) + other.wait()


def main():
    x = torch.tensor(2)
    mod = torch.jit.script(Mod()).eval()
    return mod(x)


if __name__ == "__main__":
    print(main())
