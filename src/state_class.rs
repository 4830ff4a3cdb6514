//! Purity classes of state: a leaf shared by `sync` (which objects are made as) and the
//! simulator's analysis (which judges writes to them); re-exported as
//! [`forkwait::sync::StateClass`](crate::sync::StateClass).

/// How the purity analysis classifies a write to a piece of state by a forked task that
/// did not create it (see `ImpureWrite`).
///
/// ```
/// use forkwait::sync::{Shared, StateClass};
/// assert_eq!(Shared::new(0).class(), StateClass::Input);
/// assert_eq!(Shared::attribute(0).class(), StateClass::ModuleAttribute);
/// assert_eq!(Shared::global(0).class(), StateClass::Global);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum StateClass {
    /// Ordinary state: reached by a task through what it was handed (its captures).
    #[default]
    Input,
    /// A field of a module (a struct whose method is forked, like `nn.Module`).
    ModuleAttribute,
    /// Global state (a `static`, or anything created outside the simulated program).
    Global,
}

impl StateClass {
    /// The class's name in reports: `input`, `module-attribute` or `global`.
    ///
    /// ```
    /// assert_eq!(forkwait::sync::StateClass::ModuleAttribute.name(), "module-attribute");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            StateClass::Input => "input",
            StateClass::ModuleAttribute => "module-attribute",
            StateClass::Global => "global",
        }
    }
}
