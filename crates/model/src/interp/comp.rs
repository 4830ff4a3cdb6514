//! Comprehensions at run time: the clauses' loops, nested outermost first, storing each
//! item in the comprehension's hidden slots (see `front/scopes.rs`), then the element.
//! A generator expression is evaluated eagerly, as a list. Part of the interpreter (see
//! `interp/mod.rs`).

use super::{Frame, Interp, Res, items};
use crate::ast::{CompKind, Comprehension};
use crate::value::{Dict, List, Value, key_eq};

impl Interp {
    /// The list (or dict, or set) comprehension `c` builds in frame `f`.
    pub(super) fn comprehension(&self, f: &mut Frame, c: &Comprehension) -> Res<Value> {
        let mut out = Vec::new();
        self.clauses(f, c, 0, &mut out)?;
        Ok(match c.kind {
            CompKind::List | CompKind::Generator => {
                let items = out.into_iter().map(|(k, _)| k).collect();
                Value::List(List::new(items, f.class()))
            }
            CompKind::Set => {
                let items = out.into_iter().map(|(k, _)| k);
                super::sets::new(items.collect(), f.class())
            }
            CompKind::Dict => {
                let mut entries: Vec<(Value, Value)> = Vec::with_capacity(out.len());
                for (k, v) in out {
                    let v = v.unwrap_or(Value::None);
                    match entries.iter_mut().find(|(k2, _)| key_eq(k2, &k)) {
                        Some((_, slot)) => *slot = v,
                        None => entries.push((k, v)),
                    }
                }
                Value::Dict(Dict::new(entries, f.class()))
            }
        })
    }

    /// The loops of clauses `i..`, pushing each element (and value) into `out`.
    fn clauses(
        &self,
        f: &mut Frame,
        c: &Comprehension,
        i: usize,
        out: &mut Vec<(Value, Option<Value>)>,
    ) -> Res<()> {
        let Some(g) = c.generators.get(i) else {
            let k = self.eval(f, &c.elt)?;
            if matches!(c.kind, CompKind::Dict | CompKind::Set) && !k.hashable() {
                let t = k.type_name();
                return Err(self.err(c.elt.span, format!("unhashable type: '{t}'")));
            }
            let v = match &c.value {
                Some(v) => Some(self.eval(f, v)?),
                None => None,
            };
            out.push((k, v));
            return Ok(());
        };
        let seq = self.eval(f, &g.iter)?;
        let items = items::iterate(&seq).map_err(|m| self.err(g.iter.span, m))?;
        'items: for item in items {
            self.store(f, &g.target, item)?;
            self.tick(f);
            for cond in &g.ifs {
                if !self.eval(f, cond)?.truthy() {
                    continue 'items;
                }
            }
            self.clauses(f, c, i + 1, out)?;
        }
        Ok(())
    }
}
