# expect: deterministic
# An error raised in a forked task is raised again by `wait`, where the caller catches
# it, as in PyTorch: no lost error, one outcome.
import torch


@torch.jit.script
def check_size(x: int) -> int:
    if x > 2:
        raise RuntimeError("The size of tensor a must match the size of tensor b")
    return x + x


@torch.jit.script
def wait_script(x: int) -> int:
    fut = torch.jit._fork(check_size, x)
    return torch.jit._wait(fut)


def main():
    results = []
    for x in [1, 3]:
        try:
            results.append(wait_script(x))
        except RuntimeError as e:
            results.append(-1)
    return results
