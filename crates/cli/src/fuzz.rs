//! `forkwait fuzz`: random fork/wait programs ([`forkwait::fuzz`]) run in both forms, the
//! Rust one under the checker and the `.fw` model under `check_model`, with differential
//! checks:
//!
//! * a pure program gets the verdict `deterministic` in both forms, and the same single
//!   outcome in both and in eager mode;
//! * a program with a planted bug gets exactly the plant's verdicts in both forms, the
//!   Rust form a finding of the plant's kind (for an impure write, of its class);
//!
//! Any other result is a *discrepancy*: it is shrunk greedily (the program's
//! [`shrink_candidates`](forkwait::fuzz::Program::shrink_candidates), first one that
//! still shows a discrepancy, until none does) and written as a `.fw` model whose
//! `# expect:` header holds the verdicts it should get, so that `forkwait check FILE`
//! shows it.

use super::{FuzzArgs, InjectArg, err, out};
use forkwait::fuzz::{GenConfig, Plant, Program};
use forkwait::sync::StateClass;
use forkwait::{Checker, Runtime};
use forkwait_model::{CheckOptions, Model, check_model, verdicts};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The most discrepancies shrunk and written in one run (each shrink re-checks the
/// program many times).
const MAX_SHRUNK: usize = 3;

/// The most candidate programs checked while shrinking one discrepancy.
const SHRINK_BUDGET: usize = 300;

/// The plants of `--inject KIND`, taken in turn by successive programs.
fn plants(kind: Option<InjectArg>) -> Vec<Option<Plant>> {
    match kind {
        None => vec![None],
        Some(InjectArg::Impure) => vec![
            Some(Plant::ImpureWrite(StateClass::Input)),
            Some(Plant::ImpureWrite(StateClass::ModuleAttribute)),
            Some(Plant::ImpureWrite(StateClass::Global)),
        ],
        Some(InjectArg::Race) => vec![Some(Plant::Race)],
        Some(InjectArg::Nondeterminism) => vec![Some(Plant::Nondeterminism)],
        Some(InjectArg::Panic) => vec![Some(Plant::Panic), Some(Plant::LostError)],
        Some(InjectArg::Deadlock) => vec![Some(Plant::Deadlock)],
    }
}

/// The seed of program `i` of a run seeded with `seed` (SplitMix64 of the pair).
fn program_seed(seed: u64, i: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(i)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What is wrong with `p` (checked with `iterations` executions per form), if anything.
fn discrepancy(p: &Program, iterations: u64, seed: u64) -> Option<String> {
    let want = Plant::verdicts(p.plant);
    let rust = Checker::new()
        .iterations(iterations)
        .seed(seed)
        .shrink(false)
        .run(|| p.run());
    let src = p.to_model();
    let model = match Model::from_source("fuzz.fw", &src) {
        Ok(m) => m,
        Err(e) => {
            return Some(format!(
                "the printed model does not load: {}",
                e.render(&src)
            ));
        }
    };
    let opts = CheckOptions {
        iterations,
        seed,
        ..CheckOptions::default()
    };
    let m = check_model(&model, &opts);
    let rv = verdicts(&rust);
    let mv = &m.verdict;
    match (rv != want, *mv != want) {
        (true, true) => {
            return Some(format!(
                "both forms: verdicts {rv:?} (Rust), {mv:?} (model), expected {want:?}"
            ));
        }
        (true, false) => return Some(format!("Rust form: verdicts {rv:?}, expected {want:?}")),
        (false, true) => return Some(format!("model form: verdicts {mv:?}, expected {want:?}")),
        (false, false) => {}
    }
    if let Some(plant) = p.plant {
        return missing_finding(&rust, plant);
    }
    let outs = |r: &forkwait::Report| -> Vec<String> {
        r.outcomes().iter().map(|o| o.value.clone()).collect()
    };
    let eager = Runtime::eager().run(|| p.run()).to_string();
    let (ro, mo) = (outs(&rust), outs(&m.report));
    if ro != [eager.clone()] || mo != [eager.clone()] {
        return Some(format!(
            "pure program: outcomes Rust {ro:?}, model {mo:?}, eager {eager}"
        ));
    }
    None
}

/// What is wrong with the Rust form's report `rust` of a program with `plant`: no error
/// finding of the plant's kind (for an impure write, of its class), if so.
fn missing_finding(rust: &forkwait::Report, plant: Plant) -> Option<String> {
    let tag = match plant {
        Plant::ImpureWrite(c) => format!("impure write ({})", c.name()),
        _ => String::new(),
    };
    let found = rust
        .findings()
        .iter()
        .any(|f| !f.is_warning() && f.kind() == plant.expected() && f.message().contains(&tag));
    if found {
        return None;
    }
    Some(format!(
        "Rust form: no {:?} finding{}",
        plant.expected(),
        if tag.is_empty() {
            String::new()
        } else {
            format!(" \"{tag}\"")
        }
    ))
}

/// Per plant name: (programs, detected).
type Rates = BTreeMap<&'static str, (u64, u64)>;

/// Runs `forkwait fuzz`: checks the programs, prints the rates, then each discrepancy
/// (the first [`MAX_SHRUNK`] shrunk, and written to `--out` if given). Exit code 1 if
/// there was a discrepancy, 2 if `--out` cannot be created.
pub(super) fn command(a: &FuzzArgs) -> i32 {
    let plants = plants(a.inject);
    if let Some(dir) = &a.out {
        if let Err(e) = std::fs::create_dir_all(dir) {
            err(&format!("error: cannot create {}: {e}\n", dir.display()));
            return 2;
        }
    }
    let tally = run_programs(a, &plants);
    out(&summary(a, &tally));
    for (k, failure) in tally.failures.iter().enumerate() {
        report_discrepancy(a, k, failure);
    }
    i32::from(!tally.failures.is_empty())
}

/// One discrepancy: the program's number, its seed, the program, and what is wrong.
type Failure = (u64, u64, Program, String);

/// What a run of programs found.
struct Tally {
    /// Programs run.
    run: u64,
    /// Their run time, in seconds.
    secs: f64,
    rates: Rates,
    failures: Vec<Failure>,
    /// Programs with a scope, with the atomic counter.
    shapes: (u64, u64),
}

/// Generates and checks programs (`--programs` of them, or as many as `--time` allows),
/// the plants taken in turn, with a progress bar on a terminal.
fn run_programs(a: &FuzzArgs, plants: &[Option<Plant>]) -> Tally {
    let limit = a.time.map(Duration::from_secs);
    let programs = if limit.is_some() {
        u64::MAX
    } else {
        a.programs.unwrap_or(100)
    };
    let bar = progress_bar(if limit.is_some() {
        None
    } else {
        Some(programs)
    });
    let started = Instant::now();
    let mut t = Tally {
        run: 0,
        secs: 0.0,
        rates: Rates::new(),
        failures: Vec::new(),
        shapes: (0, 0),
    };
    while t.run < programs && limit.is_none_or(|l| started.elapsed() < l) {
        let i = t.run;
        t.run += 1;
        check_program(a, plants[(i % plants.len() as u64) as usize], i, &mut t);
        if let Some(b) = &bar {
            b.set_position(t.run);
            b.set_message(format!("{} discrepancies", t.failures.len()));
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    t.secs = started.elapsed().as_secs_f64();
    t
}

/// Generates program `i` (with `plant`) and checks it, counting it in `t`.
fn check_program(a: &FuzzArgs, plant: Option<Plant>, i: u64, t: &mut Tally) {
    let pseed = program_seed(a.seed, i);
    let cfg = GenConfig {
        plant,
        max_tasks: a.max_tasks as usize,
        max_depth: a.max_depth as usize,
        ..GenConfig::default()
    };
    let p = Program::generate(pseed, &cfg);
    let (scopes, atomics) = p.scopes_and_atomics();
    t.shapes.0 += u64::from(scopes > 0);
    t.shapes.1 += u64::from(atomics > 0);
    let bad = discrepancy(&p, a.iterations, pseed);
    let name = plant.map_or("pure", Plant::name);
    let e = t.rates.entry(name).or_default();
    e.0 += 1;
    if bad.is_none() {
        e.1 += 1;
    }
    if let Some(why) = bad {
        t.failures.push((i, pseed, p, why));
    }
}

/// The summary of a run: programs and speed, the rate per plant, the shapes.
fn summary(a: &FuzzArgs, t: &Tally) -> String {
    let mut text = format!(
        "fuzz: {} programs (seed {}, {} executions per form), {:.1} programs/s\n",
        t.run,
        a.seed,
        a.iterations,
        t.run as f64 / t.secs.max(1e-9)
    );
    for (name, (n, ok)) in &t.rates {
        let what = if *name == "pure" { "clean" } else { "detected" };
        text.push_str(&format!(
            "  {name:<24} {ok}/{n} {what} ({:.1}%)\n",
            100.0 * *ok as f64 / (*n).max(1) as f64
        ));
    }
    text.push_str(&format!(
        "  ({} with a scope, {} with the atomic counter)\n",
        t.shapes.0, t.shapes.1
    ));
    text
}

/// Prints discrepancy number `k`; the first [`MAX_SHRUNK`] also shrunk, as a model
/// printed or written to `--out`.
fn report_discrepancy(a: &FuzzArgs, k: usize, (i, pseed, p, why): &Failure) {
    out(&format!(
        "discrepancy in program {i} (seed {pseed}): {why}\n"
    ));
    if k >= MAX_SHRUNK {
        return;
    }
    let small = shrink(p, why, a.iterations, *pseed);
    let why = discrepancy(&small, a.iterations, *pseed).unwrap_or_else(|| why.clone());
    let note = if why.starts_with("Rust form") {
        "\n# (the model form gets the expected verdicts: only the Rust form shows this)"
    } else {
        ""
    };
    let model = format!(
        "{}# discrepancy: {why}{note}\n# (forkwait fuzz --seed {} program {i}, shrunk from {} to {} statements)\n{}",
        header_line(&small),
        a.seed,
        p.size(),
        small.size(),
        body_after_header(&small)
    );
    match &a.out {
        Some(dir) => {
            let path = dir.join(format!("fuzz-{}-{i}.fw", a.seed));
            match std::fs::write(&path, &model) {
                Ok(()) => out(&format!(
                    "  shrunk to {} statements: {}\n  reproduce: forkwait check {} --seed {pseed} --iterations {}\n",
                    small.size(),
                    path.display(),
                    path.display(),
                    a.iterations
                )),
                Err(e) => err(&format!("error: cannot write {}: {e}\n", path.display())),
            }
        }
        None => out(&format!(
            "  shrunk to {} statements:\n{model}\n",
            small.size()
        )),
    }
}

/// The model's `# expect:` line (the first line of [`Program::to_model`]).
fn header_line(p: &Program) -> String {
    let m = p.to_model();
    let first = m.lines().next().unwrap_or_default();
    format!("{first}\n")
}

/// The model after its `# expect:` line.
fn body_after_header(p: &Program) -> String {
    let m = p.to_model();
    m.split_once('\n')
        .map_or(String::new(), |(_, rest)| rest.to_string())
}

/// Greedy shrinking: the first smaller candidate that still shows a discrepancy of the
/// same side as `why` (so that a model-form one stays visible to `forkwait check`), until
/// none does (or the budget of checks is spent).
fn shrink(p: &Program, why: &str, iterations: u64, seed: u64) -> Program {
    let mut cur = p.clone();
    let mut budget = SHRINK_BUDGET;
    'outer: loop {
        for c in cur.shrink_candidates() {
            if budget == 0 {
                break 'outer;
            }
            budget -= 1;
            // The same side of the discrepancy (Rust form, model form, pure outcomes).
            let side = |why: &str| why.split(':').next().unwrap_or_default().to_string();
            if discrepancy(&c, iterations, seed).is_some_and(|w| side(&w) == side(why)) {
                cur = c;
                continue 'outer;
            }
        }
        break;
    }
    cur
}

fn progress_bar(len: Option<u64>) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let (bar, template) = match len {
        Some(n) => (
            indicatif::ProgressBar::new(n),
            "{spinner} fuzzing [{bar:30}] {pos}/{len} {per_sec} {wide_msg}",
        ),
        None => (
            indicatif::ProgressBar::no_length(),
            "{spinner} fuzzing {pos} programs {per_sec} {elapsed} {wide_msg}",
        ),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}
