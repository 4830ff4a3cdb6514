//! The front end: source text to a checked tree. `lexer.rs` (tokens, indentation),
//! `parser.rs` (expressions; `args.rs` call arguments and subscripts, `comp.rs`
//! comprehension clauses, `fstring.rs` f-strings), `stmt.rs` (statements and the file
//! structure), `ast.rs` (the tree: program, definitions, statements; `ast_expr.rs` its
//! expressions and operators, `nodes.rs` its nodes' methods and newer node types),
//! `resolve.rs` (name resolution: frame layouts and global numbering), `scopes.rs`
//! (nested functions and comprehensions: which variables are cells shared with nested
//! functions, and the hidden slots of comprehension variables), `local_classes.rs`
//! (classes defined inside functions and blocks: numbering, bases, resolved copies),
//! `slot.rs` (what a resolved name denotes), `slots.rs` (writes each name's slot into
//! the tree; its tests in `slots_tests.rs`), `checks.rs` (the static checks on the
//! resolved tree), `diag.rs` (located errors rendered like rustc's). For `.py` files:
//! `pyast.rs` (imports, decorators, class attributes), `pyfile.rs` (their grammar,
//! `super()`), `classes.rs` (import checks, inheritance), `annot.rs` (the annotation
//! checks).

mod annot;
mod args;
pub mod ast;
mod ast_expr;
mod checks;
pub(crate) mod classes;
mod comp;
pub mod diag;
mod fstring;
pub(crate) mod lexer;
mod local_classes;
mod nodes;
pub(crate) mod parser;
mod pyast;
pub(crate) mod pyfile;
pub(crate) mod resolve;
mod scopes;
mod slot;
mod slots;
mod stmt;
