//! Methods of the tree's nodes (`ast.rs` and `ast_expr.rs` hold the types): an
//! expression's height, a statement's nested blocks.

use super::ast::*;

/// What a comprehension builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompKind {
    /// `[elt for ...]`
    List,
    /// `{key: value for ...}`
    Dict,
    /// `{elt for ...}`
    Set,
    /// `(elt for ...)` or a call's sole argument `f(elt for ...)`: evaluated eagerly,
    /// as a list (the language has no lazy iterators).
    Generator,
}

/// `[elt for target in iter if cond ...]` and its kin. Its targets are variables of
/// the comprehension alone (hidden slots of the enclosing frame, as in PEP 709's
/// inlined comprehensions); only the first iterable is evaluated before them.
#[derive(Debug, Clone, PartialEq)]
pub struct Comprehension {
    /// What it builds.
    pub kind: CompKind,
    /// The element (for a dict, the key).
    pub elt: Expr,
    /// For a dict, the value.
    pub value: Option<Expr>,
    /// The `for` clauses, outermost first; never empty.
    pub generators: Vec<CompFor>,
}

/// One `for target in iter [if cond]...` clause of a comprehension.
#[derive(Debug, Clone, PartialEq)]
pub struct CompFor {
    /// The loop variable(s).
    pub target: Target,
    /// The iterable.
    pub iter: Expr,
    /// The filters, all of which must hold.
    pub ifs: Vec<Expr>,
}

/// `try: body` with its handlers, `else` and `finally` blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Try {
    /// The guarded block.
    pub body: Vec<Stmt>,
    /// The `except` clauses in order; the first whose class matches runs.
    pub handlers: Vec<Handler>,
    /// Run when the body finished without an exception (empty if absent).
    pub orelse: Vec<Stmt>,
    /// Run last in every case (empty if absent).
    pub finalbody: Vec<Stmt>,
}

/// `except [E [as name]]: body`.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// The exception class (or tuple of classes) caught; `None` catches everything.
    pub class: Option<Expr>,
    /// The variable the exception is bound to.
    pub name: Option<Target>,
    /// The handler's block.
    pub body: Vec<Stmt>,
    /// Where the `except` keyword is.
    pub span: Span,
}

impl StmtKind {
    /// The statement blocks nested in this statement, in source order, not counting the
    /// body of a nested function (its own scope).
    pub fn blocks(&self) -> impl Iterator<Item = &[Stmt]> {
        let v: Vec<&[Stmt]> = match self {
            StmtKind::If { branches, orelse } => {
                let mut v: Vec<&[Stmt]> = branches.iter().map(|b| &b.body[..]).collect();
                v.push(orelse);
                v
            }
            StmtKind::While { body, .. }
            | StmtKind::For { body, .. }
            | StmtKind::With { body, .. } => vec![body],
            StmtKind::Try(t) => {
                let mut v: Vec<&[Stmt]> = vec![&t.body];
                v.extend(t.handlers.iter().map(|h| &h.body[..]));
                v.extend([&t.orelse[..], &t.finalbody[..]]);
                v
            }
            _ => Vec::new(),
        };
        v.into_iter()
    }
}

impl Expr {
    /// An expression of `kind` starting at `span`.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr {
            kind,
            span,
            slot: Slot::Unresolved,
        }
    }

    /// The height of the expression tree (a leaf has height 1). Used by the parser to
    /// bound nesting; recursive, so only call it on trees the parser built.
    pub(crate) fn height(&self) -> u32 {
        let max = |it: &mut dyn Iterator<Item = &Expr>| it.map(Expr::height).max().unwrap_or(0);
        let sub = match &self.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::Name(_) => 0,
            ExprKind::List(v) | ExprKind::Tuple(v) | ExprKind::Set(v) => max(&mut v.iter()),
            ExprKind::Dict(v) => max(&mut v.iter().flat_map(|(k, v)| [k, v])),
            ExprKind::Attribute { value, .. } => value.height(),
            ExprKind::Subscript { value, index } => value.height().max(index.height()),
            ExprKind::Slice { lower, upper, step } => {
                max(&mut [lower, upper, step].into_iter().flatten().map(|b| &**b))
            }
            ExprKind::Call(c) => c.func.height().max(max(&mut c
                .args
                .iter()
                .chain(c.kwargs.iter().map(|k| &k.value)))),
            ExprKind::Unary { operand, .. } => operand.height(),
            // A chain is one node: its height does not grow with its length.
            ExprKind::Binary { left, rest } => {
                left.height().max(max(&mut rest.iter().map(|o| &o.right)))
            }
            ExprKind::Logic { values, .. } => max(&mut values.iter()),
            ExprKind::Compare { left, rest } => {
                left.height().max(max(&mut rest.iter().map(|c| &c.right)))
            }
            ExprKind::IfExp { cond, then, orelse } => {
                cond.height().max(then.height()).max(orelse.height())
            }
            ExprKind::Starred(value) => value.height(),
            ExprKind::Comp(c) => {
                let gens = c.generators.iter();
                let parts = gens.flat_map(|g| std::iter::once(&g.iter).chain(&g.ifs));
                max(&mut parts.chain([&c.elt]).chain(&c.value))
            }
            ExprKind::Lambda(def) => {
                let body = def.body.iter().filter_map(|s| match &s.kind {
                    StmtKind::Return(Some(e)) => Some(e),
                    _ => None,
                });
                let defaults = def.params.iter().filter_map(|p| p.default.as_ref());
                max(&mut body.chain(defaults))
            }
        };
        sub.saturating_add(1)
    }
}
