//! The syntax tree of a model file: the program, definitions and statements here, the
//! expressions and operators in `ast_expr.rs` (re-exported here).
//!
//! Every node records the [`Span`] of its first character. The tree is plain owned data
//! (`Box`/`Vec`), so an interpreter can hold `&Program` for the whole run and walk it by
//! reference. The parser bounds the nesting: a path from a top-level statement down to a
//! leaf passes at most [`MAX_DEPTH`](super::MAX_DEPTH)` + 3` statement and expression
//! nodes, so a recursive walk has a known worst case (size the walker's stack for it).

use crate::diag::Diagnostic;
use std::fmt;

pub use super::ast_expr::{
    BinOp, Call, CmpOp, Comparison, Expr, ExprKind, Keyword, LogicOp, Operation, UnaryOp,
};
pub use super::nodes::{CompFor, CompKind, Comprehension, Handler, Try};
pub use super::pyast::{ClassAttr, Decorator, DecoratorKind, Import};
pub use super::slot::Slot;

/// A position in the source: 1-based line and 1-based column, counted in chars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in chars (not bytes), starting at 1.
    pub col: u32,
}

impl Span {
    /// A span at `line:col` (both 1-based).
    pub const fn new(line: u32, col: u32) -> Span {
        Span { line, col }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// The verdict words allowed in the leading `# expect:` comment.
pub const VERDICTS: [&str; 7] = [
    "deterministic",
    "nondeterministic",
    "impure",
    "race",
    "panic",
    "deadlock",
    "livelock",
];

/// A parsed model file.
///
/// `def` and `class` are only allowed at the top level (and `def` inside a class); they
/// are collected in [`functions`](Program::functions) and [`classes`](Program::classes)
/// and are visible from the start of the run, whatever their position in the file. The
/// other top-level statements (global variable initialisation, mostly) are in
/// [`stmts`](Program::stmts), in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The path the source was read from, as given to [`parse`](super::parse).
    pub path: String,
    /// The full source text, kept for rendering diagnostics.
    pub source: String,
    /// The verdict words of the leading `# expect: a, b` comment, if there is one; each
    /// is one of [`VERDICTS`], in the order written.
    pub expect: Option<Vec<String>>,
    /// Where the `expect` word of that comment is.
    pub expect_span: Option<Span>,
    /// Top-level statements other than `def` and `class`, in source order.
    pub stmts: Vec<Stmt>,
    /// Top-level functions in source order; names are unique among functions and classes.
    pub functions: Vec<FunctionDef>,
    /// Classes in source order; names are unique among functions and classes.
    pub classes: Vec<ClassDef>,
    /// The top-level imports (`.py` files), in source order.
    pub imports: Vec<Import>,
}

impl Program {
    /// The top-level function called `name`.
    pub fn function(&self, name: &str) -> Option<&FunctionDef> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// The class called `name`.
    pub fn class(&self, name: &str) -> Option<&ClassDef> {
        self.classes.iter().find(|c| c.name == name)
    }

    /// A diagnostic located at `span` in this program's file.
    pub fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.path, span, message)
    }
}

/// `def name(params): body`, a top-level function or a method.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// The function's name.
    pub name: String,
    /// Parameters in order; for a method the first one is the receiver (`self`).
    /// Parameters with a default all come after those without, and names are unique.
    pub params: Vec<Param>,
    /// The body; never empty (a body of only `pass` is `[Pass]`).
    pub body: Vec<Stmt>,
    /// Where the `def` keyword is (for a lambda, the `lambda` keyword).
    pub span: Span,
    /// The return annotation (`-> int`), kept as written.
    pub returns: Option<Expr>,
    /// The decorators written above the `def` (`@torch.jit.script`), outermost first.
    pub decorators: Vec<Decorator>,
    /// For a nested function or a lambda: its index among the model's nested functions
    /// (filled in when a model is loaded); 0 for a top-level function or a method.
    pub id: u32,
    /// For a nested `def`: the variable its name binds (filled in when a model is
    /// loaded); [`Slot::Unresolved`] otherwise.
    pub slot: Slot,
}

impl FunctionDef {
    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The names declared `global` anywhere in the body (Python scoping: such a name is
    /// global in the whole function; every other assigned name is local), in order of
    /// first declaration, without duplicates.
    pub fn globals(&self) -> Vec<&str> {
        fn walk<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a str>) {
            for s in stmts {
                if let StmtKind::Global(names) = &s.kind {
                    for n in names {
                        if !out.contains(&n.as_str()) {
                            out.push(n);
                        }
                    }
                }
                s.kind.blocks().for_each(|b| walk(b, out));
            }
        }
        let mut out = Vec::new();
        walk(&self.body, &mut out);
        out
    }
}

/// A function parameter, `name` or `name=default`, with an optional type annotation
/// (`x: int`).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The parameter's name.
    pub name: String,
    /// The default value's expression (Python evaluates it once, at definition time).
    pub default: Option<Expr>,
    /// The type annotation (`x: int`), kept as written.
    pub annotation: Option<Expr>,
    /// Where the name is.
    pub span: Span,
    /// `*name`: the last parameter, bound to a tuple of the extra positional arguments.
    pub star: bool,
}

/// `class Name(Base): methods`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassDef {
    /// The class's name.
    pub name: String,
    /// Methods in source order, names unique; each has at least one parameter (`self`).
    /// A class with a model base class also gets the base's methods it does not define,
    /// and each of the base's methods again as `Base.name` (what `super()` calls).
    pub methods: Vec<FunctionDef>,
    /// The base classes as written (`torch.nn.Module`, a model class, ...).
    pub bases: Vec<Expr>,
    /// The class attributes (`x = 3` in the class body), in source order.
    pub attrs: Vec<ClassAttr>,
    /// Where the `class` keyword is.
    pub span: Span,
    /// For a class defined inside a function or block ([`StmtKind::Class`]): its index
    /// among the model's classes, after the top-level ones (filled in when a model is
    /// loaded); 0 for a top-level class.
    pub id: u32,
    /// For a class defined inside a function or block: the variable its name binds
    /// (filled in when a model is loaded); [`Slot::Unresolved`] otherwise.
    pub slot: Slot,
}

impl ClassDef {
    /// The method called `name` (e.g. `"__init__"` or `"forward"`).
    pub fn method(&self, name: &str) -> Option<&FunctionDef> {
        self.methods.iter().find(|m| m.name == name)
    }
}

/// A statement with the span of its first token.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// Where its first token is.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect (`wait(a)`, a docstring).
    Expr(Expr),
    /// `target = value`; chained assignment (`a = b = 1`) is rejected by the parser.
    Assign {
        /// Where to store.
        target: Target,
        /// The value (a [`ExprKind::Tuple`] for `a, b = 1, 2`).
        value: Expr,
    },
    /// `target op= value`, e.g. `xs[0] += 1`; the target is never a tuple.
    AugAssign {
        /// Where to read and store.
        target: Target,
        /// The arithmetic operator (`Add` for `+=`).
        op: BinOp,
        /// The right-hand side.
        value: Expr,
    },
    /// `if c: ... elif d: ... else: ...`.
    If {
        /// The `if` branch then each `elif`, in order; never empty.
        branches: Vec<IfBranch>,
        /// The `else` body, empty when there is no `else`.
        orelse: Vec<Stmt>,
    },
    /// `while cond: body` (a loop `else` is rejected by the parser).
    While {
        /// The loop condition.
        cond: Expr,
        /// The loop body.
        body: Vec<Stmt>,
    },
    /// `for target in iter: body`.
    For {
        /// The loop variable(s).
        target: Target,
        /// The iterable.
        iter: Expr,
        /// The loop body.
        body: Vec<Stmt>,
    },
    /// `break` (the parser checks it is inside a loop of the same function).
    Break,
    /// `continue` (the parser checks it is inside a loop of the same function).
    Continue,
    /// `return [value]` (the parser checks it is inside a function).
    Return(Option<Expr>),
    /// `assert test[, msg]`.
    Assert {
        /// The asserted condition.
        test: Expr,
        /// The message, evaluated only when the assertion fails.
        msg: Option<Expr>,
    },
    /// `pass`.
    Pass,
    /// `global a, b` (only inside a function); see [`FunctionDef::globals`].
    Global(Vec<String>),
    /// A `def` inside a function (or inside a block of the module): a function value
    /// closing over the enclosing function's variables, bound to its name when the
    /// statement runs.
    Def(Box<FunctionDef>),
    /// `nonlocal a, b` (only inside a nested function): the names are the enclosing
    /// function's variables.
    Nonlocal(Vec<String>),
    /// A `class` inside a function (or inside a block of the module): a class value made
    /// when the statement runs (its class attributes evaluated then, its methods closing
    /// over the enclosing function's variables like nested `def`s), bound to its name.
    Class(Box<ClassDef>),
    /// `try: ... except E as e: ... else: ... finally: ...`.
    Try(Box<Try>),
    /// `raise [e]` (a `from` clause is parsed and dropped); bare, it re-raises the
    /// exception being handled.
    Raise(Option<Expr>),
    /// `with item [as target]: body`, e.g. `with lock:`.
    With {
        /// The context manager expression.
        item: Expr,
        /// The `as` target, if any.
        target: Option<Target>,
        /// The body.
        body: Vec<Stmt>,
    },
}

/// One `if`/`elif` condition and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct IfBranch {
    /// The condition.
    pub cond: Expr,
    /// The body run when the condition holds and no earlier branch did.
    pub body: Vec<Stmt>,
    /// Where the `if` or `elif` keyword is.
    pub span: Span,
}

/// The left side of an assignment or a `for`/`with` target.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// What is assigned.
    pub kind: TargetKind,
    /// Where the target starts.
    pub span: Span,
    /// For a [`TargetKind::Name`], the variable it stores to (filled in when a model is
    /// loaded); [`Slot::Unresolved`] otherwise.
    pub slot: Slot,
    /// The annotation of an annotated assignment (`x: Future[int] = ...`), kept as
    /// written.
    pub annotation: Option<Box<Expr>>,
}

/// The kinds of assignment target.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetKind {
    /// A variable, `x`.
    Name(String),
    /// An attribute, `value.attr` (e.g. `self.mod`).
    Attribute {
        /// The object.
        value: Expr,
        /// The attribute's name.
        attr: String,
    },
    /// An item, `value[index]`.
    Subscript {
        /// The container.
        value: Expr,
        /// The index (possibly an [`ExprKind::Slice`]).
        index: Expr,
    },
    /// Unpacking, `a, b` or `(a, b)` or `[a, b]`; never empty.
    Tuple(Vec<Target>),
}
