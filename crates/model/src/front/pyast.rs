//! The parts of the tree that only `.py` (TorchScript-style) files need: imports,
//! decorators and class attributes. Annotations are kept as plain [`Expr`]s where they
//! are written ([`Param::annotation`], [`FunctionDef::returns`], [`Target::annotation`]);
//! `annot.rs` reads them.

use super::ast::{Expr, Span};

/// `import torch`, `import torch.nn as nn`, `from typing import List`: one bound name.
///
/// Only the modules `torch` (and below), `typing` and `operator` exist; the parser
/// rejects any other. The resolver binds [`name`](Import::name) to what
/// [`path`](Import::path) denotes (a module or one of its members), like a builtin.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The name bound in the module (`nn` for `import torch.nn as nn`, `torch` for
    /// `import torch.nn`).
    pub name: String,
    /// The dotted path it denotes (`torch.nn`, `typing.List`, `torch`).
    pub path: String,
    /// Where the imported name is written.
    pub span: Span,
}

/// The decorators TorchScript code uses (all of `torch.jit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecoratorKind {
    /// `@torch.jit.script`: compiled in TorchScript; the model runs it as it is.
    Script,
    /// `@torch.jit.script_method`: a method of a `ScriptModule`; runs as it is.
    ScriptMethod,
    /// `@torch.jit.export`: an exported method; runs as it is.
    Export,
    /// `@torch.jit.ignore`: left to Python; runs as it is.
    Ignore,
    /// `@torch.jit.unused`: replaced by a raise; calling it is an error.
    Unused,
    /// `@torch.jit._overload_method` / `@torch.jit._overload`: a signature only; the
    /// definition is dropped (the un-decorated definition of the same name is kept).
    Overload,
}

impl DecoratorKind {
    /// The decorator as written in full, e.g. `@torch.jit.script`.
    pub fn spelling(self) -> &'static str {
        match self {
            DecoratorKind::Script => "@torch.jit.script",
            DecoratorKind::ScriptMethod => "@torch.jit.script_method",
            DecoratorKind::Export => "@torch.jit.export",
            DecoratorKind::Ignore => "@torch.jit.ignore",
            DecoratorKind::Unused => "@torch.jit.unused",
            DecoratorKind::Overload => "@torch.jit._overload_method",
        }
    }

    /// The decorator whose last dotted component is `word`, if there is one.
    pub(crate) fn from_word(word: &str) -> Option<DecoratorKind> {
        Some(match word {
            "script" => DecoratorKind::Script,
            "script_method" => DecoratorKind::ScriptMethod,
            "export" => DecoratorKind::Export,
            "ignore" => DecoratorKind::Ignore,
            "unused" => DecoratorKind::Unused,
            "_overload_method" | "_overload" => DecoratorKind::Overload,
            _ => return None,
        })
    }
}

/// A decorator line, `@torch.jit.script` (or `@torch.jit.ignore(drop=False)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decorator {
    /// Which decorator.
    pub kind: DecoratorKind,
    /// Where the `@` is.
    pub span: Span,
}

/// A class attribute, `x = 3` or `__constants__ = ['c']` in a class body: every instance
/// starts with it (evaluated in the module's scope when the instance is made).
#[derive(Debug, Clone, PartialEq)]
pub struct ClassAttr {
    /// The attribute's name.
    pub name: String,
    /// Its value.
    pub value: Expr,
    /// Where the name is.
    pub span: Span,
}
