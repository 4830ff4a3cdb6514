//! The two examples of the `torch.jit.fork` documentation, ported.

use forkwait::{Future, Runtime, fork, wait};
use std::sync::Arc;

// Example 1: forking a free function, with a keyword-style argument.
//
//     def foo(a: Tensor, b: int) -> Tensor:
//         return a + b
//     def bar(a):
//         fut: torch.jit.Future[Tensor] = torch.jit.fork(foo, a, b=2)
//         return torch.jit.wait(fut)

fn foo(a: i64, b: i64) -> i64 {
    a + b
}

fn bar(a: i64) -> i64 {
    let fut: Future<i64> = fork(move || foo(a, /* b= */ 2));
    wait(fut)
}

#[test]
fn free_function_with_keyword_argument() {
    let input = 2;
    // "the scripted version runs asynchronously": the pool; plain Python: eager.
    let parallel = Runtime::parallel(2).run(|| bar(input));
    let eager = Runtime::eager().run(|| bar(input));
    assert_eq!(parallel, 4);
    assert_eq!(parallel, eager);
    // "tracing is not asynchronous, but the fork is captured in the IR"
    let (traced, graph) = forkwait::trace(|| bar(input));
    assert_eq!(traced, 4);
    assert!(graph.to_string().contains("fork"));
    assert_eq!((graph.forks(), graph.waits()), (1, 1));
}

// Example 2: forking a module's method.
//
//     class AddMod(torch.nn.Module):
//         def forward(self, a: Tensor, b: int):
//             return a + b
//     class Mod(torch.nn.Module):
//         def __init__(self):
//             self.mod = AddMod()
//         def forward(self, input):
//             fut = torch.jit.fork(self.mod, a, b=2)
//             return torch.jit.wait(fut)

struct AddMod;

impl AddMod {
    fn forward(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

struct Mod {
    module: Arc<AddMod>,
}

impl Mod {
    fn new() -> Self {
        Mod {
            module: Arc::new(AddMod),
        }
    }

    fn forward(&self, input: i64) -> i64 {
        let m = self.module.clone();
        let fut = fork(move || m.forward(input, 2));
        wait(fut)
    }
}

#[test]
fn module_method_forked() {
    let m = Mod::new();
    let input = 2;
    let plain = m.forward(input); // default context: the global pool
    let parallel = Runtime::parallel(2).run(|| m.forward(input));
    let eager = Runtime::eager().run(|| m.forward(input));
    assert_eq!(plain, 4);
    assert_eq!(parallel, plain);
    assert_eq!(eager, plain);
}
