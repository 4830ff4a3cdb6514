//! `try`/`except`/`else`/`finally` and `raise`: Python's semantics, the interpreter's
//! own errors caught by class, an error raised in a forked task caught at `wait` (and
//! then neither a panic nor a lost error), and uncaught errors keeping their verdicts.

use forkwait::FindingKind;
use forkwait_model::{Model, ModelCheck};

mod common;

fn eval(src: &str) -> String {
    common::eval("e.fw", src)
}

/// The runtime error of `main()` in eager mode, as `line:col: message`.
fn error(src: &str) -> String {
    common::run_error("e.fw", src)
}

fn check(src: &str) -> ModelCheck {
    common::check("e.fw", src, 200)
}

fn kinds(c: &ModelCheck) -> Vec<FindingKind> {
    c.report.findings().iter().map(|f| f.kind()).collect()
}

#[test]
fn raise_and_catch_by_class_with_else_and_finally() {
    let src = "\
def parse(x):
    if x < 0:
        raise ValueError('negative: ' + str(x))
    return x * 2

def main():
    log = []
    for x in [1, -2]:
        try:
            v = parse(x)
        except RuntimeError:
            log.append('wrong handler')
        except (TypeError, ValueError) as e:
            log.append(str(e))
            log.append(isinstance(e, ValueError) and e.args == (str(e),))
        else:
            log.append(v)
        finally:
            log.append('done')
    return log
";
    assert_eq!(eval(src), "[2, 'done', 'negative: -2', True, 'done']");
}

#[test]
fn the_interpreters_errors_have_classes() {
    let src = "\
def catch(i):
    try:
        if i == 0:
            return 1 // (i * 2)
        if i == 1:
            return [][3]
        if i == 2:
            assert False, 'no'
        if i == 3:
            return {}['k']
        if i == 4:
            return int('x')
        return len(i)
    except ZeroDivisionError:
        return 'zero'
    except LookupError as e:
        return 'lookup'
    except AssertionError as e:
        return 'assert ' + str(e)
    except ValueError:
        return 'value'
    except Exception as e:
        return 'other'

def main():
    return [catch(0), catch(1), catch(2), catch(3), catch(4), catch(5)]
";
    assert_eq!(
        eval(src),
        "['zero', 'lookup', 'assert no', 'lookup', 'value', 'other']"
    );
}

#[test]
fn uncaught_raises_are_located_and_bare_raise_reraises_the_original() {
    let src = "\
def main():
    raise RuntimeError('boom')
";
    assert_eq!(error(src), "2:5: RuntimeError: boom");
    let src = "\
def f(z=0):
    return 1 // z

def main():
    try:
        f()
    except ZeroDivisionError:
        raise
";
    // The original error, where it happened.
    assert_eq!(error(src), "2:14: integer division or modulo by zero");
    let src = "def main():\n    raise\n";
    assert_eq!(
        error(src),
        "2:5: RuntimeError: no active exception to re-raise"
    );
    let src = "def main():\n    raise 3\n";
    assert!(error(src).contains("exceptions must derive from BaseException"));
    let src =
        "def main():\n    try:\n        raise ValueError\n    except KeyError:\n        pass\n";
    assert_eq!(error(src), "3:9: ValueError");
}

#[test]
fn finally_runs_on_return_and_its_return_wins() {
    let src = "\
log = []

def f():
    try:
        return 'body'
    finally:
        log.append('finally')

def g():
    try:
        raise ValueError('lost')
    finally:
        return 'finally wins'

def main():
    return [f(), g(), log]
";
    assert_eq!(eval(src), "['body', 'finally wins', ['finally']]");
}

const CAUGHT_AT_WAIT: &str = "\
# expect: deterministic
def work(x):
    if x == 2:
        raise ValueError('bad input ' + str(x))
    return x * 10

def main():
    futs = [fork(work, 1), fork(work, 2), fork(work, 3)]
    out = []
    for fut in futs:
        try:
            out.append(wait(fut))
        except ValueError as e:
            out.append(str(e))
    return out
";

#[test]
fn an_error_raised_in_a_task_is_caught_at_wait_and_is_no_finding() {
    assert_eq!(eval(CAUGHT_AT_WAIT), "[10, 'bad input 2', 30]");
    let c = check(CAUGHT_AT_WAIT);
    assert!(c.ok, "{}", c.report);
    assert_eq!(c.verdict, ["deterministic"]);
    assert!(kinds(&c).is_empty(), "{}", c.report);
    let outcomes = common::outcomes(&c);
    assert_eq!(outcomes, ["[10, 'bad input 2', 30]"]);
}

#[test]
fn an_uncaught_task_error_keeps_its_verdicts() {
    // Not caught (the wrong class): the program panics, as before.
    let src = CAUGHT_AT_WAIT.replace("except ValueError", "except KeyError");
    let c = check(&src);
    assert!(c.verdict.contains(&"panic"), "{:?}", c.verdict);
    assert!(kinds(&c).contains(&FindingKind::Panic), "{}", c.report);
    // Caught in the task but never waited: no error to lose, but the unwaited future
    // is still reported.
    let lost = "\
def work():
    raise ValueError('lost')

def main():
    fork(work)
    return 1
";
    let c = check(lost);
    assert!(kinds(&c).contains(&FindingKind::LostError), "{}", c.report);
}

#[test]
fn except_clauses_are_checked() {
    let src = "\
def main():
    try:
        raise ValueError('x')
    except 3:
        pass
";
    assert!(error(src).contains("catching 'int' that does not inherit from BaseException"));
    for (src, want) in [
        (
            "def main():\n    try:\n        pass\n",
            "expected `except` or `finally` after the `try` block",
        ),
        (
            "def main():\n    try:\n        pass\n    except:\n        pass\n    except ValueError:\n        pass\n",
            "a bare `except:` must be the last",
        ),
        (
            "def main():\n    try:\n        pass\n    else:\n        pass\n",
            "`else` after `try` needs an `except`",
        ),
        (
            "def main():\n    except ValueError:\n        pass\n",
            "`except` without a `try`",
        ),
    ] {
        let Err(d) = Model::from_source("e.fw", src) else {
            panic!("{src}: loads");
        };
        assert!(d.message.contains(want), "{src}: {}", d.message);
    }
}
