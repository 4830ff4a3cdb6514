//! The same code in every mode gives the same result; eager runs at the fork point.

use forkwait::{Runtime, fork, trace, wait};
use std::sync::{Arc, Mutex};

fn tree_sum(v: Arc<Vec<u64>>, lo: usize, hi: usize) -> u64 {
    if hi - lo <= 16 {
        return v[lo..hi].iter().sum();
    }
    let mid = (lo + hi) / 2;
    let v2 = v.clone();
    let right = fork(move || tree_sum(v2, mid, hi));
    tree_sum(v, lo, mid) + wait(right)
}

#[test]
fn eager_and_parallel_agree_on_the_same_code() {
    let data = Arc::new((0..10_000u64).map(|i| i * 7 % 13).collect::<Vec<_>>());
    let n = data.len();
    let d = data.clone();
    let eager = Runtime::eager().run(move || tree_sum(d, 0, n));
    for threads in [1, 2, 3] {
        let d = data.clone();
        let par = Runtime::parallel(threads).run(move || tree_sum(d, 0, n));
        assert_eq!(par, eager, "{threads} threads");
    }
    let (traced, graph) = trace(|| tree_sum(data.clone(), 0, n));
    assert_eq!(traced, eager);
    assert_eq!(graph.forks(), graph.waits());
    assert!(graph.forks() > 100);
}

#[test]
fn eager_runs_the_task_at_the_fork_point() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    Runtime::eager().run(move || {
        l.lock().unwrap().push("before fork");
        let l2 = l.clone();
        let f = fork(move || l2.lock().unwrap().push("task"));
        l.lock().unwrap().push("after fork");
        wait(f);
    });
    assert_eq!(*log.lock().unwrap(), ["before fork", "task", "after fork"]);
}

#[test]
fn trace_records_nested_forks_as_subgraphs() {
    let (v, g) = trace(|| {
        let outer = fork(|| {
            let inner = fork(|| 1);
            wait(inner) + 1
        });
        wait(outer)
    });
    assert_eq!(v, 2);
    let ir = g.to_string();
    // The inner fork is printed inside the outer fork's block, indented deeper.
    let outer_line = ir.lines().find(|l| l.contains("prim::fork_1")).unwrap();
    let inner_line = ir.lines().find(|l| l.contains("prim::fork_2")).unwrap();
    let indent = |l: &str| l.len() - l.trim_start().len();
    assert!(indent(inner_line) > indent(outer_line), "{ir}");
    assert!(ir.contains("aten::wait(%0)"), "{ir}");
    assert!(ir.contains("Future[i32]"), "{ir}");
    let json: serde_json::Value = serde_json::from_str(&g.to_json()).expect("valid JSON");
    assert_eq!(json["nodes"].as_array().unwrap().len(), 4);
    assert!(g.to_dot().contains("n0 -> n3"));
}

#[test]
fn a_runtime_can_be_entered_from_inside_another() {
    // Eager inside parallel inside eager: the innermost context wins.
    let v = Runtime::eager().run(|| {
        Runtime::parallel(2).run(|| {
            let f = fork(|| Runtime::eager().run(|| wait(fork(|| 3))));
            wait(f) * 2
        })
    });
    assert_eq!(v, 6);
}
