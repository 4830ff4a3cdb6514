//! Statement execution: a block, each kind of statement, and the [`Flow`] a statement
//! hands back to the block around it (go on, `break`, `continue`, `return`).

use super::{Frame, Interp, Res, YIELD_EVERY, items};
use crate::ast::{Expr, Stmt, StmtKind, Target};
use crate::value::Value;

/// What a statement tells the block around it to do next.
pub(crate) enum Flow {
    Next,
    Break,
    Continue,
    Return(Value),
}

impl Interp {
    pub(crate) fn block(&self, f: &mut Frame, stmts: &[Stmt]) -> Res<Flow> {
        for s in stmts {
            match self.stmt(f, s)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    pub(crate) fn tick(&self, f: &mut Frame) {
        f.ticks = f.ticks.wrapping_add(1);
        if f.ticks % YIELD_EVERY == 0 {
            forkwait::yield_now();
        }
    }

    /// Runs one statement.
    fn stmt(&self, f: &mut Frame, s: &Stmt) -> Res<Flow> {
        self.at(s.span);
        match &s.kind {
            StmtKind::Expr(e) => {
                self.eval(f, e)?;
            }
            StmtKind::Assign { target, value } => {
                let v = self.eval(f, value)?;
                self.store(f, target, v)?;
            }
            StmtKind::AugAssign { target, op, value } => self.aug_assign(f, target, *op, value)?,
            StmtKind::If { branches, orelse } => {
                for b in branches {
                    self.at(b.span);
                    if self.eval(f, &b.cond)?.truthy() {
                        return self.block(f, &b.body);
                    }
                }
                return self.block(f, orelse);
            }
            StmtKind::While { cond, body } => return self.exec_while(f, s, cond, body),
            StmtKind::For { target, iter, body } => {
                return self.exec_for(f, s, target, iter, body);
            }
            StmtKind::Break => return Ok(Flow::Break),
            StmtKind::Continue => return Ok(Flow::Continue),
            StmtKind::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(f, e)?,
                    None => Value::None,
                };
                return Ok(Flow::Return(v));
            }
            StmtKind::Assert { test, msg } => self.exec_assert(f, s, test, msg.as_ref())?,
            StmtKind::Pass | StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::Def(def) => {
                if let Some(d) = self.code.deferred.get(&def.id) {
                    return Err(Box::new(d.clone())); // refused when scripted
                }
                let v = self.closure(f, def)?;
                self.store_slot(f, def.slot, v);
            }
            StmtKind::Class(c) => {
                let deferred = c.methods.iter().find_map(|m| self.code.deferred.get(&m.id));
                if let Some(d) = deferred {
                    return Err(Box::new(d.clone())); // refused when scripted
                }
                let v = self.local_class(f, c)?;
                self.store_slot(f, c.slot, v);
            }
            StmtKind::Try(t) => return self.exec_try(f, t),
            StmtKind::Raise(e) => return Err(self.exec_raise(f, e.as_ref(), s.span)),
            StmtKind::With { item, target, body } => {
                return self.exec_with(f, s, item, target.as_ref(), body);
            }
        }
        Ok(Flow::Next)
    }

    /// One pass of a loop's `body`: `None` to go on; else the loop is over, with the flow
    /// it leaves by (`Next` after a `break`, or a `return`'s).
    #[inline]
    fn pass(&self, f: &mut Frame, body: &[Stmt]) -> Res<Option<Flow>> {
        Ok(match self.block(f, body)? {
            Flow::Break => Some(Flow::Next),
            Flow::Next | Flow::Continue => None,
            ret => Some(ret),
        })
    }

    /// Runs the loop `s`, `while cond: body`.
    #[inline]
    fn exec_while(&self, f: &mut Frame, s: &Stmt, cond: &Expr, body: &[Stmt]) -> Res<Flow> {
        loop {
            self.at(s.span);
            if !self.eval(f, cond)?.truthy() {
                break;
            }
            self.tick(f);
            if let Some(flow) = self.pass(f, body)? {
                return Ok(flow);
            }
        }
        Ok(Flow::Next)
    }

    /// Runs the loop `s`, `for target in iter: body`.
    #[inline]
    fn exec_for(
        &self,
        f: &mut Frame,
        s: &Stmt,
        target: &Target,
        iter: &Expr,
        body: &[Stmt],
    ) -> Res<Flow> {
        let seq = self.eval(f, iter)?;
        let items = items::iterate(&seq).map_err(|m| self.err(iter.span, m))?;
        for item in items {
            self.at(s.span);
            self.store(f, target, item)?;
            self.tick(f);
            if let Some(flow) = self.pass(f, body)? {
                return Ok(flow);
            }
        }
        Ok(Flow::Next)
    }

    /// Runs `s`, `assert test[, msg]`: an error located at `s` if `test` is false (`msg`
    /// evaluated only then).
    fn exec_assert(&self, f: &mut Frame, s: &Stmt, test: &Expr, msg: Option<&Expr>) -> Res<()> {
        if !self.eval(f, test)?.truthy() {
            let text = match msg {
                Some(m) => format!("assertion failed: {}", self.eval(f, m)?.to_str()),
                None => "assertion failed".to_string(),
            };
            return Err(self.err(s.span, text));
        }
        Ok(())
    }

    /// Runs `s`, `with item [as target]: body`: over a grad-mode context (restored after
    /// the body) or a lock (held during the body).
    fn exec_with(
        &self,
        f: &mut Frame,
        s: &Stmt,
        item: &Expr,
        target: Option<&Target>,
        body: &[Stmt],
    ) -> Res<Flow> {
        let v = self.eval(f, item)?;
        if let Some(restore) = self.enter_context(f, &v) {
            let r = self.with_body(f, &v, target, body);
            if let Some(prev) = restore {
                self.set_grad(f, prev);
            }
            return r;
        }
        let Value::Lock(lock) = &v else {
            let t = v.type_name();
            return Err(self.err(
                item.span,
                format!("'{t}' object cannot be used in `with` (only a Lock() can)"),
            ));
        };
        self.at(s.span);
        // A model's lock does not poison (Python's don't).
        let guard = lock.mutex.lock().unwrap_or_else(|p| p.into_inner());
        let r = self.with_body(f, &v, target, body);
        drop(guard);
        r
    }

    /// The body of a `with` over `v`: stores `v` in `target`, if any, then runs `body`.
    fn with_body(
        &self,
        f: &mut Frame,
        v: &Value,
        target: Option<&Target>,
        body: &[Stmt],
    ) -> Res<Flow> {
        match target {
            Some(t) => self
                .store(f, t, v.clone())
                .and_then(|()| self.block(f, body)),
            None => self.block(f, body),
        }
    }
}
