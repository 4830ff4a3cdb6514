//! Trace mode: run eagerly and record the fork/wait graph.
//!
//! As `torch.jit.trace` does, nothing runs in parallel under tracing, but every `fork`
//! and `wait` becomes a node of an IR graph: a fork node owns the subgraph of the task it
//! started, and a wait node names the fork it forces. [`Graph`] prints as
//! TorchScript-style IR (`prim::fork`, `aten::wait`), as Graphviz dot, or as JSON.

use super::facade::fw_thread_local;
use crate::mode::{self as context, Context};
use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::panic::Location;

/// One recorded operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// `prim::fork`: started the task whose operations form subgraph `block`.
    Fork {
        /// The block holding the forked task's own operations.
        block: usize,
        /// The Rust type of the task's result.
        output_type: String,
    },
    /// `aten::wait` on the future of the fork node `fork`.
    Wait {
        /// The id of the fork node whose future was waited.
        fork: usize,
    },
}

/// A node of the fork/wait graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The node's id (its index in [`Graph::nodes`]); printed as `%id`.
    pub id: usize,
    /// The block (0 = the traced function, k = the k-th forked task) the node belongs to.
    pub block: usize,
    /// What the node does.
    pub kind: NodeKind,
    /// Where in the source it happened (`file:line:col`).
    pub site: String,
}

/// The fork/wait graph of one traced run.
///
/// ```
/// let (v, graph) = forkwait::trace(|| {
///     let a = forkwait::fork(|| 1 + 1);
///     forkwait::wait(a) * 10
/// });
/// assert_eq!(v, 20);
/// assert_eq!(graph.forks(), 1);
/// let ir = graph.to_string();
/// assert!(ir.contains("prim::fork"));
/// assert!(ir.contains("aten::wait"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    nodes: Vec<Node>,
    blocks: usize,
}

impl Graph {
    /// Every node, in the order it was recorded.
    ///
    /// ```
    /// let (_, g) = forkwait::trace(|| forkwait::wait(forkwait::fork(|| ())));
    /// assert_eq!(g.nodes().len(), 2);
    /// ```
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The number of fork nodes.
    ///
    /// ```
    /// let (_, g) = forkwait::trace(|| ());
    /// assert_eq!(g.forks(), 0);
    /// ```
    pub fn forks(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Fork { .. }))
            .count()
    }

    /// The number of wait nodes.
    ///
    /// ```
    /// let (_, g) = forkwait::trace(|| drop(forkwait::fork(|| ())));
    /// assert_eq!(g.waits(), 0);
    /// ```
    pub fn waits(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Wait { .. }))
            .count()
    }

    fn write_block(&self, out: &mut String, block: usize, indent: usize) {
        let pad = " ".repeat(indent);
        for n in self.nodes.iter().filter(|n| n.block == block) {
            match &n.kind {
                NodeKind::Fork { block, output_type } => {
                    let _ = writeln!(
                        out,
                        "{pad}%{} : Future[{output_type}] = prim::fork_{block}()  # {}",
                        n.id, n.site
                    );
                    let _ = writeln!(out, "{pad}  block{block}():");
                    self.write_block(out, *block, indent + 4);
                    let _ = writeln!(out, "{pad}    -> ()");
                }
                NodeKind::Wait { fork } => {
                    let _ = writeln!(out, "{pad}%{} = aten::wait(%{fork})  # {}", n.id, n.site);
                }
            }
        }
    }

    /// The graph in Graphviz dot: a cluster per task, a dashed edge from each fork to its
    /// task's first node, an edge from each fork to the wait that forces it.
    ///
    /// ```
    /// let (_, g) = forkwait::trace(|| forkwait::wait(forkwait::fork(|| 3)));
    /// assert!(g.to_dot().starts_with("digraph forkwait {"));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph forkwait {\n  node [shape=box];\n");
        for b in 0..=self.blocks {
            let _ = writeln!(out, "  subgraph cluster_{b} {{");
            let label = if b == 0 {
                "main".to_string()
            } else {
                format!("task {b}")
            };
            let _ = writeln!(out, "    label=\"{label}\";");
            for n in self.nodes.iter().filter(|n| n.block == b) {
                let op = match n.kind {
                    NodeKind::Fork { .. } => "prim::fork",
                    NodeKind::Wait { .. } => "aten::wait",
                };
                let site = n.site.replace('"', "\\\"");
                let _ = writeln!(out, "    n{} [label=\"%{} {op}\\n{site}\"];", n.id, n.id);
            }
            out.push_str("  }\n");
        }
        for n in &self.nodes {
            match n.kind {
                NodeKind::Fork { block, .. } => {
                    if let Some(first) = self.nodes.iter().find(|m| m.block == block) {
                        let _ = writeln!(out, "  n{} -> n{} [style=dashed];", n.id, first.id);
                    }
                }
                NodeKind::Wait { fork } => {
                    let _ = writeln!(out, "  n{fork} -> n{};", n.id);
                }
            }
        }
        out.push_str("}\n");
        out
    }

    /// The graph as JSON text: `{"nodes": [{"id", "block", "op", "site", ...}]}` (a fork
    /// also has `subgraph` and `type`, a wait `waits`: the id of the fork it forces).
    ///
    /// ```
    /// let (_, g) = forkwait::trace(|| forkwait::wait(forkwait::fork(|| 3)));
    /// let json = g.to_json();
    /// assert!(json.starts_with(r#"{"nodes":[{"block":0,"id":0,"op":"prim::fork","#));
    /// assert!(json.contains(r#""op":"aten::wait","#) && json.contains(r#""waits":0}"#));
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"nodes\":[");
        for (i, n) in self.nodes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let (id, block, site) = (n.id, n.block, json_str(&n.site));
            // Keys in sorted order, as a JSON library with ordered maps prints them.
            let _ = match &n.kind {
                NodeKind::Fork {
                    block: sub,
                    output_type,
                } => {
                    let ty = json_str(&format!("Future[{output_type}]"));
                    write!(
                        out,
                        "{{\"block\":{block},\"id\":{id},\"op\":\"prim::fork\",\"site\":{site},\
                         \"subgraph\":{sub},\"type\":{ty}}}"
                    )
                }
                NodeKind::Wait { fork } => write!(
                    out,
                    "{{\"block\":{block},\"id\":{id},\"op\":\"aten::wait\",\"site\":{site},\
                     \"waits\":{fork}}}"
                ),
            };
        }
        out.push_str("]}");
        out
    }
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for Graph {
    /// TorchScript-style IR: each fork with its subgraph, each wait naming its fork.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::from("graph():\n");
        self.write_block(&mut out, 0, 2);
        out.push_str("  return ()\n");
        f.write_str(&out)
    }
}

#[derive(Default)]
struct Recorder {
    graph: Graph,
    /// The block the current code records into (the innermost running task).
    current: usize,
}

fw_thread_local! {
    static RECORDER: RefCell<Vec<Recorder>> = RefCell::new(Vec::new());
    static SPAN: std::cell::Cell<Option<crate::span::SourceSpan>> =
        std::cell::Cell::new(None);
}

/// Sets the interpreted-source position recorded instead of Rust call sites.
pub(crate) fn set_span(span: Option<SourceSpan>) {
    if span.is_some() && !SPANS_USED.load(Relaxed) {
        SPANS_USED.store(true, Relaxed);
    }
    SPAN.with(|c| c.set(span));
    if PUBLISH.load(Relaxed) {
        let _ = PUBLISHED.try_with(|p| lock(p).top = span);
    }
}

/// The interpreted-source position of the current thread (outside the simulator).
pub(crate) fn current_span() -> Option<SourceSpan> {
    SPAN.with(|c| c.get())
}

use crate::span::SourceSpan;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};

/// The source positions of the tasks on one thread: those suspended below the running
/// one (a task run by `fork` in eager mode, or by a waiter helping on the pool), then the
/// running one's.
#[derive(Default)]
struct Positions {
    below: Vec<Option<SourceSpan>>,
    top: Option<SourceSpan>,
}

/// Whether positions are published for [`live_spans`] (see [`publish_spans`]).
static PUBLISH: AtomicBool = AtomicBool::new(false);

/// Whether any thread ever set a source position (an interpreter runs in this process).
/// Until then a task's start and end skip the position bookkeeping: the fork/wait fast
/// path of Rust programs pays one relaxed load of a read-shared flag.
static SPANS_USED: AtomicBool = AtomicBool::new(false);
/// Every thread's published positions (an entry dies with its thread).
static THREADS: Mutex<Vec<Weak<Mutex<Positions>>>> = Mutex::new(Vec::new());

std::thread_local! {
    static PUBLISHED: Arc<Mutex<Positions>> = {
        let cell = Arc::new(Mutex::new(Positions::default()));
        lock(&THREADS).push(Arc::downgrade(&cell));
        cell
    };
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// From now on, the source position (see [`crate::hooks::set_source_span`]) of every task
/// running outside the simulator can be read from another thread with [`live_spans`]: a
/// watchdog's view of where a stuck program is (`forkwait run --timeout`). Costs an
/// uncontended lock per `set_source_span`.
pub(crate) fn publish_spans() {
    PUBLISH.store(true, Relaxed);
}

/// The position of every running task that has one, thread by thread, the innermost
/// task of each thread last.
pub(crate) fn live_spans() -> Vec<SourceSpan> {
    let threads = lock(&THREADS).clone();
    let mut out = Vec::new();
    for t in threads.iter().filter_map(Weak::upgrade) {
        let p = lock(&t);
        out.extend(p.below.iter().flatten().copied());
        out.extend(p.top);
    }
    out
}

/// Marks the start of a task on this thread (see [`enter_task`]); on drop (the task
/// returned or panicked) the thread gets back the position it had.
pub(crate) struct TaskSpan {
    saved: Option<SourceSpan>,
    pushed: bool,
    /// Positions are in use: restore on drop.
    active: bool,
}

/// A task starts running on this thread: the position of what ran here until now is
/// kept (and published as suspended, see [`publish_spans`]) until the task ends.
#[inline]
pub(crate) fn enter_task() -> TaskSpan {
    if !SPANS_USED.load(Relaxed) {
        return TaskSpan {
            saved: None,
            pushed: false,
            active: false,
        };
    }
    enter_task_slow()
}

#[cold]
#[inline(never)]
fn enter_task_slow() -> TaskSpan {
    let saved = current_span();
    let pushed = PUBLISH.load(Relaxed)
        && PUBLISHED
            .try_with(|p| {
                let mut p = lock(p);
                p.below.push(saved);
                p.top = None;
            })
            .is_ok();
    SPAN.with(|c| c.set(None));
    TaskSpan {
        saved,
        pushed,
        active: true,
    }
}

impl Drop for TaskSpan {
    #[inline]
    fn drop(&mut self) {
        if !self.active {
            return;
        }
        if self.pushed {
            let _ = PUBLISHED.try_with(|p| lock(p).below.pop());
        }
        set_span(self.saved);
    }
}

fn site_text(site: &'static Location<'static>) -> String {
    match SPAN.with(|c| c.get()) {
        Some(span) => span.to_string(),
        None => site.to_string(),
    }
}

/// Pops the recorder pushed by `trace`, also when `f` unwinds.
struct PopRecorder;

impl Drop for PopRecorder {
    fn drop(&mut self) {
        RECORDER.with(|r| r.borrow_mut().pop());
    }
}

/// Runs `f` eagerly and returns its value with the fork/wait graph it produced.
///
/// # Panics
///
/// A panic of `f` propagates (the partial graph is discarded).
///
/// ```
/// fn foo(a: i64, b: i64) -> i64 { a + b }
/// fn bar(a: i64) -> i64 {
///     let fut = forkwait::fork(move || foo(a, 2));
///     forkwait::wait(fut)
/// }
/// let (v, graph) = forkwait::trace(|| bar(2));
/// assert_eq!(v, bar(2)); // the traced run computes what the plain run does
/// assert!(graph.to_string().contains("fork"));
/// ```
pub fn trace<R>(f: impl FnOnce() -> R) -> (R, Graph) {
    RECORDER.with(|r| r.borrow_mut().push(Recorder::default()));
    let pop = PopRecorder;
    let v = {
        let _g = context::enter(Context::Trace);
        f()
    };
    let graph = RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        std::mem::take(&mut r.last_mut().expect("trace recorder").graph)
    });
    drop(pop);
    (v, graph)
}

/// Restores the recording block of the parent task when a traced task ends.
struct RestoreBlock(usize);

impl Drop for RestoreBlock {
    fn drop(&mut self) {
        let parent = self.0;
        RECORDER.with(|r| {
            if let Some(rec) = r.borrow_mut().last_mut() {
                rec.current = parent;
            }
        });
    }
}

/// Records a fork node and runs `body` (the task) inside its block. Returns the node id.
pub(crate) fn record_fork<R>(
    site: &'static Location<'static>,
    output_type: &str,
    body: impl FnOnce() -> R,
) -> (R, usize) {
    let (id, parent) = RECORDER.with(|r| {
        let mut r = r.borrow_mut();
        let rec = r.last_mut().expect("trace mode without a recorder");
        rec.graph.blocks += 1;
        let block = rec.graph.blocks;
        let id = rec.graph.nodes.len();
        rec.graph.nodes.push(Node {
            id,
            block: rec.current,
            kind: NodeKind::Fork {
                block,
                output_type: output_type.to_string(),
            },
            site: site_text(site),
        });
        let parent = rec.current;
        rec.current = block;
        (id, parent)
    });
    let _restore = RestoreBlock(parent);
    (body(), id)
}

/// Records a wait on the fork node `fork` (if the future came from a trace and we are
/// still tracing).
pub(crate) fn record_wait(fork: Option<usize>, site: &'static Location<'static>) {
    let Some(fork) = fork else { return };
    if context::current() != Context::Trace {
        return;
    }
    RECORDER.with(|r| {
        if let Some(rec) = r.borrow_mut().last_mut() {
            let id = rec.graph.nodes.len();
            rec.graph.nodes.push(Node {
                id,
                block: rec.current,
                kind: NodeKind::Wait { fork },
                site: site_text(site),
            });
        }
    });
}
