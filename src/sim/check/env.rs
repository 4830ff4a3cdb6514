//! The checker from the environment (`FORKWAIT_*`).

use super::Checker;

impl Checker {
    /// A checker configured from the environment, as [`check`](crate::check) uses:
    /// `FORKWAIT_SEED`, `FORKWAIT_ITERATIONS`, `FORKWAIT_STRATEGY` (`random`, `pct:3`,
    /// `exhaustive`, `exhaustive:2`), `FORKWAIT_SHARD=k/n` (1-based: shard k of n takes
    /// the iterations i with i mod n = k-1), `FORKWAIT_LOG=1`. It is named after the
    /// current thread (the test's name under `cargo test`) and keeps regression files.
    ///
    /// # Panics
    ///
    /// On a malformed variable, with a message naming it.
    ///
    /// ```
    /// let c = forkwait::Checker::from_env();
    /// assert!(c.run(|| ()).is_clean());
    /// ```
    pub fn from_env() -> Self {
        let mut c = Checker::new();
        c.regressions = true;
        c.name = std::thread::current().name().map(str::to_owned);
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        // A misspelt variable would silently switch a setting off: refuse it.
        let mut unknown: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| k.starts_with("FORKWAIT_") && !KNOWN_VARS.contains(&k.as_str()))
            .collect();
        unknown.sort();
        if let Some(k) = unknown.first() {
            panic!(
                "{k}: unknown forkwait variable (known: {})",
                KNOWN_VARS.join(", ")
            );
        }
        if let Some(v) = var("FORKWAIT_THREADS") {
            if !v.trim().parse::<usize>().is_ok_and(|n| n > 0) {
                panic!("FORKWAIT_THREADS={v:?}: expected a number of threads, at least 1");
            }
        }
        if let Some(v) = var("FORKWAIT_SEED") {
            c.seed = v
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("FORKWAIT_SEED={v:?}: expected an integer"));
        }
        if let Some(v) = var("FORKWAIT_ITERATIONS") {
            c.iterations = match v.trim().parse() {
                Ok(n) if n > 0 => n,
                _ => {
                    panic!("FORKWAIT_ITERATIONS={v:?}: expected a number of iterations, at least 1")
                }
            };
            c.iterations_set = true;
        }
        if let Some(v) = var("FORKWAIT_STRATEGY") {
            c.strategy = v
                .parse()
                .unwrap_or_else(|e| panic!("FORKWAIT_STRATEGY: {e}"));
        }
        if let Some(v) = var("FORKWAIT_SHARD") {
            c.shard = Some(parse_shard(&v).unwrap_or_else(|e| panic!("FORKWAIT_SHARD: {e}")));
        }
        if var("FORKWAIT_LOG").is_some_and(|v| v != "0") {
            c.log = true;
        }
        if let Some(v) = var("FORKWAIT_PURITY") {
            c.strict_purity = match v.trim() {
                "strict" => true,
                "default" => false,
                other => panic!("FORKWAIT_PURITY={other:?}: expected `strict` or `default`"),
            };
        }
        c
    }
}

/// Every environment variable forkwait reads.
pub(super) const KNOWN_VARS: [&str; 8] = [
    "FORKWAIT_SEED",
    "FORKWAIT_ITERATIONS",
    "FORKWAIT_STRATEGY",
    "FORKWAIT_SHARD",
    "FORKWAIT_LOG",
    "FORKWAIT_REPLAY",
    "FORKWAIT_PURITY",
    "FORKWAIT_THREADS",
];

pub(super) fn parse_shard(v: &str) -> Result<(u64, u64), String> {
    let (k, n) = v
        .trim()
        .split_once('/')
        .ok_or_else(|| format!("{v:?}: expected k/n, e.g. 1/4"))?;
    let k: u64 = k.parse().map_err(|_| format!("{v:?}: k is not a number"))?;
    let n: u64 = n.parse().map_err(|_| format!("{v:?}: n is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{v:?}: need 1 <= k <= n"));
    }
    Ok((k - 1, n))
}
