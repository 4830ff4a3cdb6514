//! The syntax tree of a model file.
//!
//! Every node records the [`Span`] of its first character. The tree is plain owned data
//! (`Box`/`Vec`), so an interpreter can hold `&Program` for the whole run and walk it by
//! reference. The parser bounds the nesting: a path from a top-level statement down to a
//! leaf passes at most [`MAX_DEPTH`](super::MAX_DEPTH)` + 3` statement and expression
//! nodes, so a recursive walk has a known worst case (size the walker's stack for it).

use crate::diag::Diagnostic;
use std::fmt;

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

/// An expression with the span of its first character.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it starts (for `a + b`, where `a` starts; for `f(x)`, where `f` starts).
    pub span: Span,
    /// For an [`ExprKind::Name`], what the name denotes (filled in when a model is
    /// loaded); [`Slot::Unresolved`] otherwise.
    pub slot: Slot,
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string literal, escapes resolved (adjacent literals are concatenated).
    Str(String),
    /// `True` or `False`.
    Bool(bool),
    /// `None`.
    None,
    /// A variable reference; builtins such as `fork`, `wait`, `len`, `Lock` are names too.
    Name(String),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `(a, b)`, `(a,)`, `()`, or `a, b` where a tuple may appear unparenthesised.
    Tuple(Vec<Expr>),
    /// `{k: v, ...}` as key/value pairs in source order.
    Dict(Vec<(Expr, Expr)>),
    /// `{a, b}` (never empty: `{}` is a dict).
    Set(Vec<Expr>),
    /// `value.attr`.
    Attribute {
        /// The object.
        value: Box<Expr>,
        /// The attribute's name.
        attr: String,
    },
    /// `value[index]`.
    Subscript {
        /// The container.
        value: Box<Expr>,
        /// The index: an expression, a [`ExprKind::Slice`], or a tuple of them.
        index: Box<Expr>,
    },
    /// `lower:upper:step`; appears only as (an element of) a subscript index.
    Slice {
        /// The start, if written.
        lower: Option<Box<Expr>>,
        /// The end, if written.
        upper: Option<Box<Expr>>,
        /// The step, if written.
        step: Option<Box<Expr>>,
    },
    /// A call, `f(a, b=2)` (boxed to keep `Expr` small).
    Call(Box<Call>),
    /// `-x`, `+x` or `not x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// A chain of arithmetic operators of one precedence level, left-associative:
    /// `left op1 r1 op2 r2 ...` is `((left op1 r1) op2 r2) ...`, evaluated left to right.
    ///
    /// The chain is flat (one node however long), so that `1 + 2 + ... + 10000` costs
    /// no nesting: a walker loops over [`rest`](ExprKind::Binary::rest) instead of
    /// recursing once per operator. All operators of a chain are of the same level
    /// (`+ -` or `* / // %`); `**`, right-associative, is always a chain of one link
    /// (`2 ** 3 ** 2` is `2 ** (3 ** 2)`, two nested nodes).
    Binary {
        /// The leftmost operand.
        left: Box<Expr>,
        /// Each operator with its right operand, in source order; never empty.
        rest: Vec<Operation>,
    },
    /// `v1 and v2 and ...` / `v1 or v2 or ...`: short-circuiting, yielding an operand.
    /// Flat like [`ExprKind::Binary`]: a chain of the same operator is one node.
    Logic {
        /// `and` or `or` (the same throughout: the two have different precedence).
        op: LogicOp,
        /// The operands in source order, at least two. The first is always evaluated;
        /// each next one only if the previous value did not decide the result.
        values: Vec<Expr>,
    },
    /// A comparison chain, `left op1 r1 op2 r2 ...` (Python semantics: `a < b < c` is
    /// `a < b and b < c` with `b` evaluated once; evaluation stops at the first false).
    Compare {
        /// The leftmost operand.
        left: Box<Expr>,
        /// Each operator with its right operand; never empty.
        rest: Vec<Comparison>,
    },
    /// `lambda params: body`: a nested function whose body is `return body`.
    Lambda(Box<FunctionDef>),
    /// A list or dict comprehension or a generator expression.
    Comp(Box<Comprehension>),
    /// `*value`: only as a call's positional argument, whose items it passes.
    Starred(Box<Expr>),
    /// `then if cond else orelse`.
    IfExp {
        /// The condition, evaluated first.
        cond: Box<Expr>,
        /// The value when the condition holds.
        then: Box<Expr>,
        /// The value otherwise.
        orelse: Box<Expr>,
    },
}

/// A call expression's parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The callee (`fork`, `self.mod`, `xs.append`, ...).
    pub func: Box<Expr>,
    /// Positional arguments in order.
    pub args: Vec<Expr>,
    /// Keyword arguments in order, names unique; all written after the positional ones.
    pub kwargs: Vec<Keyword>,
    /// The span of the call (where the callee starts, the same as the call expression's).
    pub span: Span,
    /// Where the opening parenthesis is.
    pub paren: Span,
}

/// A keyword argument, `name=value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyword {
    /// The parameter name.
    pub name: String,
    /// The argument.
    pub value: Expr,
    /// Where the name is.
    pub span: Span,
}

/// One link of a comparison chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The operator.
    pub op: CmpOp,
    /// Where the operator is.
    pub span: Span,
    /// The right operand.
    pub right: Expr,
}

/// One link of an arithmetic chain ([`ExprKind::Binary`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// The operator.
    pub op: BinOp,
    /// Where the operator is (for errors such as division by zero).
    pub span: Span,
    /// The right operand.
    pub right: Expr,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Pos,
    /// `not x`
    Not,
}

/// Arithmetic operators (also those of augmented assignment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/` (true division)
    Div,
    /// `//` (floor division)
    FloorDiv,
    /// `%` (Python modulo: the result has the divisor's sign)
    Mod,
    /// `**` (right-associative, binds tighter than unary minus on its left)
    Pow,
    /// `|` (integers: bitwise or; sets: union)
    BitOr,
    /// `&` (integers: bitwise and; sets: intersection)
    BitAnd,
    /// `^` (integers: bitwise xor; sets: symmetric difference)
    BitXor,
}

/// Short-circuit boolean operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogicOp {
    /// `and`
    And,
    /// `or`
    Or,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `not in`
    NotIn,
    /// `is`
    Is,
    /// `is not`
    IsNot,
}

impl BinOp {
    /// The operator as written, e.g. `"//"`.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::BitOr => "|",
            BinOp::BitAnd => "&",
            BinOp::BitXor => "^",
        }
    }
}

impl CmpOp {
    /// The operator as written, e.g. `"not in"`.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
            CmpOp::Is => "is",
            CmpOp::IsNot => "is not",
        }
    }
}
