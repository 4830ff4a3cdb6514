# expect: deterministic
# Grad mode is thread-local: a forked task starts with its caller's mode (PyTorch's fork
# carries the caller's thread-local state), and what the task changes stays in the task.
import torch


def requires_grad_inside() -> bool:
    seen = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    return seen


def main():
    with torch.no_grad():
        fut = torch.jit.fork(requires_grad_inside)
        inside = torch.jit.wait(fut)
        after = torch.is_grad_enabled()
    outside = torch.jit.wait(torch.jit.fork(requires_grad_inside))
    return inside, after, outside, torch.is_grad_enabled()
