//! The statement grammar: the file-level structure (top-level statements, functions,
//! classes), then statements and blocks. The expression grammar is `parser.rs`; the
//! entry point, [`parse`](crate::parse), is the crate root's.

use crate::*;

impl Parser<'_> {
    /// [`Parser::program`] on a helper thread with a [`PARSER_STACK`] stack: nesting up to
    /// [`MAX_DEPTH`] recurses deeply, and unoptimised builds use large frames (over 20 KiB
    /// per bracket level), more than a caller's thread may have. Runs on the caller's
    /// thread if the helper cannot be started.
    pub(crate) fn program_on_big_stack(&mut self) -> PResult<Items> {
        let spawned = std::thread::scope(|s| {
            let builder = std::thread::Builder::new().name("forkwait-model-parse".into());
            let handle = builder
                .stack_size(PARSER_STACK)
                .spawn_scoped(s, || self.program());
            handle.map(|h| h.join())
        });
        match spawned {
            Ok(Ok(items)) => items,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => self.program(),
        }
    }

    pub(crate) fn program(&mut self) -> PResult<Items> {
        let (mut stmts, mut functions, mut classes) = (Vec::new(), Vec::new(), Vec::new());
        // Name -> where it was first defined (a map: the check is linear in the file).
        let mut defined: std::collections::BTreeMap<String, Span> = Default::default();
        loop {
            let decorators = self.decorators()?;
            let (name, span) = match self.peek() {
                Tok::Eof => return Ok((stmts, functions, classes)),
                Tok::Kw(Kw::Def) => {
                    let f = self.function(decorators)?;
                    if f.decorators
                        .iter()
                        .any(|d| d.kind == DecoratorKind::Overload)
                    {
                        continue; // a signature only: the plain definition is the one
                    }
                    functions.push(f);
                    functions.last().map(|f| (f.name.clone(), f.span))
                }
                Tok::Kw(Kw::Class) => {
                    classes.push(self.class()?);
                    classes.last().map(|c| (c.name.clone(), c.span))
                }
                Tok::Kw(Kw::Reserved("import" | "from")) => {
                    self.import_line()?;
                    continue;
                }
                _ => {
                    self.statement(&mut stmts)?;
                    if stmts.last().is_some_and(super::pyfile::is_main_guard) {
                        stmts.pop(); // `if __name__ == "__main__":` is skipped
                    }
                    continue;
                }
            }
            .unwrap_or_default();
            if let Some(first) = defined.get(&name) {
                bail!(self, span => "`{name}` is already defined on line {}", first.line);
            }
            defined.insert(name, span);
        }
    }

    pub(crate) fn function(&mut self, decorators: Vec<Decorator>) -> PResult<FunctionDef> {
        let span = self.bump();
        let name = self.name("a function name after `def`")?;
        self.expect_op("(", "'(' after the function name")?;
        let params = self.params(")", true)?;
        self.expect_op(")", "',' or ')' after the parameter")?;
        let returns = self.opt_after("->", Parser::expr)?;
        self.expect_op(":", "':' after the function signature")?;
        let saved = (self.in_function, self.loops);
        (self.in_function, self.loops) = (true, 0);
        let body = self.suite(span, "def");
        (self.in_function, self.loops) = saved;
        let body = body?;
        Ok(FunctionDef {
            name,
            params,
            body,
            span,
            returns,
            decorators,
            id: 0,
            slot: Slot::Unresolved,
        })
    }

    /// A parameter list up to (not including) `close`: names with optional defaults and,
    /// if `annotated`, optional annotations.
    pub(crate) fn params(&mut self, close: &str, annotated: bool) -> PResult<Vec<Param>> {
        let mut params: Vec<Param> = Vec::new();
        while !self.is_op(close) {
            let span = self.span();
            if self.is_op("**")
                || self.is_op("/")
                || (self.is_op("*") && !self.tok(1).tok.is_name())
            {
                bail!(self, span => "`**kwargs`, `/` and keyword-only parameters are not supported");
            }
            if params.last().is_some_and(|p| p.star) {
                bail!(self, span => "parameters after `*args` (keyword-only) are not supported");
            }
            let star = self.eat_op("*");
            let name = self.name("a parameter name")?;
            let annotation = match annotated {
                true => self.opt_after(":", Parser::expr)?,
                false => None,
            };
            let default = self.opt_after("=", Parser::expr)?;
            if star && default.is_some() {
                bail!(self, span => "`*{name}` cannot have a default");
            }
            if params.iter().any(|p| p.name == name) {
                bail!(self, span => "duplicate parameter `{name}`");
            }
            if !star && default.is_none() && params.last().is_some_and(|p| p.default.is_some()) {
                bail!(self, span => "a parameter without a default follows one with a default");
            }
            params.push(Param {
                name,
                default,
                annotation,
                span,
                star,
            });
            if !self.eat_op(",") {
                break;
            }
        }
        Ok(params)
    }

    pub(crate) fn class(&mut self) -> PResult<ClassDef> {
        let span = self.bump();
        let name = self.name("a class name after `class`")?;
        let mut bases = Vec::new();
        if self.eat_op("(") {
            while !self.is_op(")") {
                bases.push(self.expr()?);
                if !self.eat_op(",") {
                    break;
                }
            }
            self.expect_op(")", "')' after the base classes")?;
        }
        self.expect_op(":", "':' after the class name")?;
        let mut methods: Vec<FunctionDef> = Vec::new();
        let other = self.suite_with(span, "class", |p, other| {
            let decorators = p.decorators()?;
            if !p.is_kw(Kw::Def) {
                return p.statement(other);
            }
            // The receiver is the first parameter's name (`self` by convention).
            let receiver = match (&p.tok(3).tok, &p.tok(2).tok) {
                (Tok::Name(r), Tok::Op("(")) => r.clone(),
                _ => String::new(),
            };
            let saved = p.method.replace((name.clone(), receiver));
            let m = p.function(decorators);
            p.method = saved;
            let m = m?;
            if m.params.is_empty() {
                bail!(p, m.span => "method `{}` must take `self` as its first parameter", m.name);
            }
            if m.decorators
                .iter()
                .any(|d| d.kind == DecoratorKind::Overload)
            {
                return Ok(()); // a signature only
            }
            if let Some(first) = methods.iter().find(|f| f.name == m.name) {
                let line = first.span.line;
                bail!(p, m.span => "method `{}` is already defined on line {line}", m.name);
            }
            methods.push(m);
            Ok(())
        })?;
        let attrs = self.class_attrs(other)?;
        Ok(ClassDef {
            name,
            methods,
            span,
            bases,
            attrs,
            id: 0,
            slot: Slot::Unresolved,
        })
    }

    /// One statement (or one line of `;`-separated simple statements) into `out`.
    fn statement(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        let span = self.span();
        let kind = match self.peek() {
            Tok::Indent => bail!(self, span => "unexpected indent"),
            Tok::Dedent | Tok::Eof => return Err(self.unexpected("a statement")),
            Tok::Kw(Kw::If) => self.if_stmt()?,
            Tok::Kw(Kw::While) => {
                self.bump();
                let cond = self.expr()?;
                self.expect_op(":", "':' after the condition")?;
                let body = self.loop_body(span, "while")?;
                StmtKind::While { cond, body }
            }
            Tok::Kw(Kw::For) => {
                self.bump();
                let target = self.target_list()?;
                if !self.is_kw(Kw::In) {
                    return Err(self.unexpected("`in` after the loop variable"));
                }
                self.bump();
                let target = self.target(target)?;
                let iter = self.expr_list()?;
                self.expect_op(":", "':' after the iterable")?;
                let body = self.loop_body(span, "for")?;
                StmtKind::For { target, iter, body }
            }
            Tok::Kw(Kw::With) => {
                self.bump();
                let item = self.expr()?;
                let mut target = None;
                if self.is_kw(Kw::As) {
                    self.bump();
                    let t = self.target_list()?;
                    if matches!(t.kind, ExprKind::Tuple(_) | ExprKind::List(_)) {
                        bail!(self, t.span => "`with ... as (a, b)` is not supported (bind one name: `with lock as l:`)");
                    }
                    target = Some(self.target(t)?);
                }
                self.expect_op(":", "':' after the `with` item (only one is supported)")?;
                let body = self.suite(span, "with")?;
                StmtKind::With { item, target, body }
            }
            Tok::Kw(Kw::Def) | Tok::Op("@") => {
                let decorators = self.decorators()?;
                if self.is_kw(Kw::Class) {
                    // Accepted and ignored, as on a top-level class.
                    let kind = StmtKind::Class(Box::new(self.class()?));
                    out.push(Stmt { kind, span });
                    return Ok(());
                }
                let def = self.function(decorators)?;
                if def
                    .decorators
                    .iter()
                    .any(|d| d.kind == DecoratorKind::Overload)
                {
                    return Ok(()); // a signature only
                }
                StmtKind::Def(Box::new(def))
            }
            Tok::Kw(Kw::Reserved("import" | "from")) => {
                bail!(self, span => "imports must be at the top level of the file")
            }
            Tok::Kw(Kw::Class) => StmtKind::Class(Box::new(self.class()?)),
            Tok::Kw(Kw::Try) => self.try_stmt()?,
            _ => return self.simple_line(out),
        };
        out.push(Stmt { kind, span });
        Ok(())
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        let (mut branches, mut orelse) = (Vec::new(), Vec::new());
        loop {
            let what = if self.is_kw(Kw::If) { "if" } else { "elif" };
            let span = self.bump();
            let cond = self.expr()?;
            self.expect_op(":", "':' after the condition")?;
            let body = self.suite(span, what)?;
            branches.push(IfBranch { cond, body, span });
            if self.is_kw(Kw::Elif) {
                continue;
            }
            if self.is_kw(Kw::Else) {
                let span = self.bump();
                self.expect_op(":", "':' after `else`")?;
                orelse = self.suite(span, "else")?;
            }
            return Ok(StmtKind::If { branches, orelse });
        }
    }

    /// `try:` with its `except`, `else` and `finally` clauses.
    fn try_stmt(&mut self) -> PResult<StmtKind> {
        let span = self.bump();
        self.expect_op(":", "':' after `try`")?;
        let body = self.suite(span, "try")?;
        let mut handlers: Vec<Handler> = Vec::new();
        while self.is_kw(Kw::Except) {
            let hspan = self.bump();
            if handlers.last().is_some_and(|h| h.class.is_none()) {
                bail!(self, hspan => "a bare `except:` must be the last `except` clause");
            }
            if self.is_op("*") {
                bail!(self, self.span() => "`except*` (exception groups) is not supported");
            }
            let (mut class, mut name) = (None, None);
            if !self.is_op(":") {
                class = Some(self.expr()?);
                if self.is_kw(Kw::As) {
                    self.bump();
                    let at = self.span();
                    let n = self.name("a variable name after `as`")?;
                    name = Some(Target {
                        kind: TargetKind::Name(n),
                        span: at,
                        slot: Slot::Unresolved,
                        annotation: None,
                    });
                }
            }
            self.expect_op(":", "':' after the `except` clause")?;
            let body = self.suite(hspan, "except")?;
            handlers.push(Handler {
                class,
                name,
                body,
                span: hspan,
            });
        }
        let mut orelse = Vec::new();
        if self.is_kw(Kw::Else) {
            if handlers.is_empty() {
                bail!(self, self.span() => "`else` after `try` needs an `except` clause first");
            }
            let at = self.bump();
            self.expect_op(":", "':' after `else`")?;
            orelse = self.suite(at, "else")?;
        }
        let mut finalbody = Vec::new();
        if self.is_kw(Kw::Finally) {
            let at = self.bump();
            self.expect_op(":", "':' after `finally`")?;
            finalbody = self.suite(at, "finally")?;
        }
        if handlers.is_empty() && finalbody.is_empty() {
            return Err(self.unexpected("`except` or `finally` after the `try` block"));
        }
        Ok(StmtKind::Try(Box::new(Try {
            body,
            handlers,
            orelse,
            finalbody,
        })))
    }

    fn loop_body(&mut self, header: Span, what: &str) -> PResult<Vec<Stmt>> {
        self.loops += 1;
        let body = self.suite(header, what);
        self.loops -= 1;
        if self.is_kw(Kw::Else) {
            bail!(self, self.span() => "`else` after a `{what}` loop is not supported");
        }
        body
    }

    /// The body after a header's `:`: simple statements on the same line, or an indented
    /// block of statements parsed by `stmt`.
    fn suite(&mut self, header: Span, what: &str) -> PResult<Vec<Stmt>> {
        self.enter(self.span())?;
        let body = self.suite_with(header, what, Self::statement);
        self.depth -= 1;
        body
    }

    /// A suite whose indented statements are parsed by `stmt`.
    fn suite_with(
        &mut self,
        header: Span,
        what: &str,
        mut stmt: impl FnMut(&mut Self, &mut Vec<Stmt>) -> PResult<()>,
    ) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        if *self.peek() != Tok::Newline {
            self.simple_line(&mut body)?;
            return Ok(body);
        }
        self.bump();
        if *self.peek() != Tok::Indent {
            let line = header.line;
            bail!(self, self.span() => "expected an indented block after `{what}` on line {line}");
        }
        self.bump();
        while !matches!(self.peek(), Tok::Dedent | Tok::Eof) {
            stmt(self, &mut body)?;
        }
        self.bump();
        Ok(body)
    }

    /// Simple statements separated by `;`, then the end of the line.
    fn simple_line(&mut self, out: &mut Vec<Stmt>) -> PResult<()> {
        loop {
            let span = self.span();
            let kind = self.simple()?;
            out.push(Stmt { kind, span });
            if !self.eat_op(";") || *self.peek() == Tok::Newline {
                break;
            }
        }
        if *self.peek() != Tok::Newline {
            return Err(self.unexpected("end of line after the statement"));
        }
        self.bump();
        Ok(())
    }

    fn simple(&mut self) -> PResult<StmtKind> {
        let span = self.span();
        let Tok::Kw(kw) = *self.peek() else {
            return self.assign_or_expr();
        };
        let word = kw.as_str();
        let kind = match kw {
            Kw::Pass => StmtKind::Pass,
            Kw::Break | Kw::Continue if self.loops == 0 => {
                bail!(self, span => "`{word}` outside a loop")
            }
            Kw::Break => StmtKind::Break,
            Kw::Continue => StmtKind::Continue,
            Kw::Return if !self.in_function => bail!(self, span => "`return` outside a function"),
            Kw::Global if !self.in_function => bail!(self, span => "`global` outside a function"),
            Kw::Nonlocal if !self.in_function => {
                bail!(self, span => "`nonlocal` outside a function")
            }
            Kw::Return => {
                self.bump();
                let value = if self.at_expr_start() {
                    Some(self.expr_list()?)
                } else {
                    None
                };
                return Ok(StmtKind::Return(value));
            }
            Kw::Global | Kw::Nonlocal => {
                self.bump();
                let mut names = vec![self.name(&format!("a variable name after `{word}`"))?];
                while self.eat_op(",") {
                    names.push(self.name("a variable name")?);
                }
                return Ok(match kw {
                    Kw::Global => StmtKind::Global(names),
                    _ => StmtKind::Nonlocal(names),
                });
            }
            Kw::Raise => {
                self.bump();
                let exc = if self.at_expr_start() {
                    Some(self.expr()?)
                } else {
                    None
                };
                if exc.is_some() && matches!(self.peek(), Tok::Kw(k) if k.as_str() == "from") {
                    self.bump();
                    self.expr()?; // the cause, dropped
                }
                return Ok(StmtKind::Raise(exc));
            }
            Kw::Assert => {
                self.bump();
                let test = self.expr()?;
                let msg = self.opt_after(",", Self::expr)?;
                return Ok(StmtKind::Assert { test, msg });
            }
            Kw::Reserved(_) => bail!(self, span => "{}", reserved_message(word)),
            Kw::Except | Kw::Finally => {
                bail!(self, span => "`{word}` without a `try` at this indentation")
            }
            Kw::If | Kw::While | Kw::For | Kw::With | Kw::Def | Kw::Class | Kw::Try => {
                bail!(self, span => "`{word}` must start its own line")
            }
            Kw::Elif | Kw::Else => {
                bail!(self, span => "`{word}` without an `if` at this indentation")
            }
            _ => return self.assign_or_expr(),
        };
        self.bump();
        Ok(kind)
    }

    fn assign_or_expr(&mut self) -> PResult<StmtKind> {
        let lhs = self.expr_list()?;
        let mut annotation = None;
        if self.is_op(":") && !matches!(lhs.kind, ExprKind::Tuple(_)) {
            self.bump();
            annotation = Some(Box::new(self.expr()?));
            if !self.is_op("=") {
                return Err(self.unexpected("'=' after the annotation"));
            }
        }
        if let Tok::AugAssign(op) = *self.peek() {
            let op_span = self.bump();
            if matches!(lhs.kind, ExprKind::Tuple(_) | ExprKind::List(_)) {
                bail!(self, op_span => "`{}=` cannot assign to a tuple", op.symbol());
            }
            let target = self.target(lhs)?;
            let value = self.expr_list()?;
            return Ok(StmtKind::AugAssign { target, op, value });
        }
        if !self.eat_op("=") {
            return Ok(StmtKind::Expr(lhs));
        }
        let mut target = self.target(lhs)?;
        target.annotation = annotation;
        let value = self.expr_list()?;
        if self.is_op("=") {
            bail!(self, self.span() => "chained assignment (`a = b = c`) is not supported");
        }
        Ok(StmtKind::Assign { target, value })
    }

    /// Converts a parsed expression to an assignment target.
    pub(crate) fn target(&self, e: Expr) -> PResult<Target> {
        let span = e.span;
        let kind = match e.kind {
            ExprKind::Name(n) => TargetKind::Name(n),
            ExprKind::Attribute { value, attr } => {
                let value = *value;
                TargetKind::Attribute { value, attr }
            }
            ExprKind::Subscript { value, index } => {
                let (value, index) = (*value, *index);
                TargetKind::Subscript { value, index }
            }
            ExprKind::Tuple(items) | ExprKind::List(items) if !items.is_empty() => {
                let items = items.into_iter().map(|i| self.target(i));
                TargetKind::Tuple(items.collect::<PResult<_>>()?)
            }
            ExprKind::Call(_) => bail!(self, span => "cannot assign to a function call"),
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Dict(_)
            | ExprKind::Set(_) => {
                bail!(self, span => "cannot assign to a literal")
            }
            ExprKind::Bool(_) | ExprKind::None => {
                bail!(self, span => "cannot assign to a constant")
            }
            ExprKind::Tuple(_) | ExprKind::List(_) => bail!(self, span => "nothing to assign to"),
            _ => bail!(self, span => "cannot assign to an operator expression"),
        };
        Ok(Target {
            kind,
            span,
            slot: Slot::Unresolved,
            annotation: None,
        })
    }

    /// `for`/`as` targets: primaries separated by commas (no operators, so that the `in`
    /// of a `for` is not read as a comparison).
    pub(crate) fn target_list(&mut self) -> PResult<Expr> {
        let first = self.postfix()?;
        self.tuple_of(first, Self::postfix, Self::at_expr_start)
    }
}

/// The error for a Python keyword the language does not support, naming the supported
/// spelling where there is one.
pub(crate) fn reserved_message(word: &str) -> String {
    let hint = match word {
        "async" => {
            ": `async def` is not supported (use a plain `def`; `fork`/`wait` give the parallelism)"
        }
        "await" => ": `await` is not supported (use `wait(fut)` or `fut.wait()`)",
        "yield" => ": generator functions (`yield`) are not supported (return a list)",
        "del" => ": `del` is not supported (assign `None`, or use `pop`)",
        _ => " is not supported in model files",
    };
    match hint.strip_prefix(": ") {
        Some(h) => h.to_string(),
        None => format!("`{word}`{hint}"),
    }
}
