//! [`Slot`]: what a name of the tree denotes, decided once when a model is loaded.

use crate::builtins::Builtin;

/// What a name denotes: filled in by the resolver when a model is loaded (in
/// [`Expr::slot`](super::ast::Expr::slot) of every [`ExprKind::Name`](super::ast::ExprKind::Name)
/// and [`Target::slot`](super::ast::Target::slot) of every
/// [`TargetKind::Name`](super::ast::TargetKind::Name)), so that the interpreter reads and
/// writes variables by index instead of looking names up.
///
/// The language's scoping is Python's: a name assigned in a function, or one of its
/// parameters, is a local of the whole function unless the function declares it
/// `global` or `nonlocal`; a name shared with a nested function is a cell of both;
/// every other name is a module global, a top-level function or class, or a builtin,
/// in that order.
///
/// ```
/// use forkwait_model::{Builtin, Model, Slot, StmtKind};
/// let src = "n = 1\ndef main():\n    x = n\n    return len([x])\n";
/// let m = Model::from_source("m.fw", src).unwrap();
/// let main = m.program().function("main").unwrap();
/// let StmtKind::Assign { target, value } = &main.body[0].kind else { unreachable!() };
/// assert_eq!((target.slot, value.slot), (Slot::Local(0), Slot::Global(0)));
/// // A tree fresh from the parser is not resolved.
/// let p = forkwait_model::parse("m.fw", src).unwrap();
/// let StmtKind::Assign { value, .. } = &p.function("main").unwrap().body[0].kind else {
///     unreachable!()
/// };
/// assert_eq!(value.slot, Slot::Unresolved);
/// # let _ = Builtin::Len;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Slot {
    /// Not a name, a tree fresh from [`parse`](crate::parse), or a name that denotes
    /// nothing (loading such a model fails with "name '…' is not defined").
    #[default]
    Unresolved,
    /// The i-th local variable of the enclosing function's frame; the parameters are the
    /// first ones, in order.
    Local(u32),
    /// The i-th cell of the enclosing function's frame: a variable shared between a
    /// function and the functions nested in it (an instrumented cell). A frame's cells
    /// are its free variables (captured from enclosing functions) first, then its own
    /// variables that nested functions capture.
    Cell(u32),
    /// The i-th global variable of the module (the globals sorted by name), an
    /// instrumented cell. Read before its first assignment, the name denotes the
    /// top-level function, class or builtin of that name, if there is one.
    Global(u32),
    /// The i-th top-level function (in [`Program::functions`](super::ast::Program::functions)).
    Function(u32),
    /// The i-th class (in [`Program::classes`](super::ast::Program::classes)).
    Class(u32),
    /// A builtin function.
    Builtin(Builtin),
}
