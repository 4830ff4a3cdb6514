//! Assignment: storing to a target (a name, attribute, item, or a tuple of targets,
//! unpacked) and augmented assignment. Part of the interpreter (see `interp/mod.rs`).

use super::{Frame, Interp, Res, items, ops};
use crate::ast::*;
use crate::value::Value;

impl Interp {
    pub(super) fn aug_assign(
        &self,
        f: &mut Frame,
        target: &Target,
        op: BinOp,
        value: &Expr,
    ) -> Res<()> {
        let combine = |this: &Self, f: &mut Frame, old: Value| -> Res<Value> {
            let rhs = this.eval(f, value)?;
            if let (BinOp::Add, Value::List(l)) = (op, &old) {
                // `xs += it` extends the list in place, as Python's `__iadd__`.
                let items = items::iterate(&rhs).map_err(|m| this.err(value.span, m))?;
                let items: Vec<Value> = items.collect();
                this.at(target.span);
                l.extend(items);
                return Ok(old);
            }
            if let (Value::Set(s), Value::Set(r)) = (&old, &rhs) {
                // `s |= t` (and `&=`, `-=`, `^=`) changes the set in place, as Python's.
                let items = r.keys();
                this.at(target.span);
                if crate::interp::sets::in_place(op, s, &items).is_some() {
                    return Ok(old);
                }
            }
            this.at(target.span);
            ops::binary(op, &old, &rhs, f.class()).map_err(|m| this.err(target.span, m))
        };
        match &target.kind {
            TargetKind::Name(n) => {
                let old = self.load_name(f, target.slot, n, target.span)?;
                let new = combine(self, f, old)?;
                self.store_slot(f, target.slot, new);
                Ok(())
            }
            TargetKind::Attribute { value: obj, attr } => {
                let obj = self.eval(f, obj)?;
                let old = self.getattr(&obj, attr, target.span)?;
                let new = combine(self, f, old)?;
                self.setattr(&obj, attr, new, target.span)
            }
            TargetKind::Subscript { value: obj, index } => {
                let obj = self.eval(f, obj)?;
                let key = self.eval(f, index)?;
                let old = self.getitem(&obj, &key, target.span)?;
                let new = combine(self, f, old)?;
                self.setitem(&obj, key, new, target.span)
            }
            TargetKind::Tuple(_) => Err(self.err(target.span, "cannot augment-assign a tuple")),
        }
    }

    pub(crate) fn store(&self, f: &mut Frame, target: &Target, v: Value) -> Res<()> {
        match &target.kind {
            TargetKind::Name(_) => {
                self.store_slot(f, target.slot, v);
                Ok(())
            }
            TargetKind::Attribute { value, attr } => {
                let obj = self.eval(f, value)?;
                self.at(target.span);
                self.setattr(&obj, attr, v, target.span)
            }
            TargetKind::Subscript { value, index } => {
                if matches!(index.kind, ExprKind::Slice { .. }) {
                    return Err(self.err(index.span, "slice assignment is not supported"));
                }
                let obj = self.eval(f, value)?;
                let key = self.eval(f, index)?;
                self.at(target.span);
                self.setitem(&obj, key, v, target.span)
            }
            TargetKind::Tuple(targets) => {
                let items: Vec<Value> = items::iterate(&v)
                    .map_err(|m| self.err(target.span, format!("cannot unpack: {m}")))?
                    .collect();
                if items.len() != targets.len() {
                    return Err(self.err(
                        target.span,
                        format!(
                            "cannot unpack {} values into {} targets",
                            items.len(),
                            targets.len()
                        ),
                    ));
                }
                for (t, item) in targets.iter().zip(items) {
                    self.store(f, t, item)?;
                }
                Ok(())
            }
        }
    }
}
