//! The expression nodes of the syntax tree (`ast.rs` holds the program, definitions and
//! statements): [`Expr`] and its kinds, a call's parts, the links of operator chains,
//! and the operators.

use super::ast::{Comprehension, FunctionDef, Slot, Span};

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
