//! The front end: source text to a checked tree. `lexer.rs` (tokens, indentation),
//! `parser.rs` (expressions), `stmt.rs` (statements and the file structure), `ast.rs`
//! (the tree), `resolve.rs` (static checks and name resolution), `diag.rs` (located
//! errors rendered like rustc's).

pub mod ast;
pub mod diag;
pub(crate) mod lexer;
pub(crate) mod parser;
pub(crate) mod resolve;
mod stmt;
