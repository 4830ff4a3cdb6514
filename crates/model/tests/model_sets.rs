//! Sets: literals, `set()`, set comprehensions, membership, the operators and methods,
//! their canonical order, their errors, and their instrumentation (a set's elements are
//! located as a dict's keys are, so the race and purity detectors see set mutations).

use forkwait::Runtime;
use forkwait_model::Model;

mod common;

fn model(src: &str) -> Model {
    common::model("s.fw", src)
}

/// What `main()` returns, or the error (at load or at run time) as `line:col: message`.
fn run(src: &str) -> Result<String, String> {
    let m = Model::from_source("s.fw", src)
        .map_err(|d| format!("{}:{}: {}", d.line, d.col, d.message))?;
    match Runtime::eager().run(|| m.try_run_main()) {
        Ok(v) => Ok(format!("{v:?}")),
        Err(d) => Err(format!("{}:{}: {}", d.line, d.col, d.message)),
    }
}

fn expr(e: &str) -> String {
    let src = format!("def main():\n    s = {{3, 1, 2}}\n    return {e}\n");
    run(&src).unwrap_or_else(|m| panic!("{e}: {m}"))
}

/// The body's error, `line:col: message` (the body starts on line 2).
fn error(body: &str) -> String {
    let src = format!("def main():\n{body}");
    match run(&src) {
        Ok(v) => panic!("{body}: no error, returned {v}"),
        Err(m) => m,
    }
}

/// The verdicts, asserting no panic was found.
fn verdict(src: &str) -> Vec<&'static str> {
    common::verdict("s.fw", src, 300)
}

#[test]
fn set_values_print_and_iterate_in_canonical_order() {
    for (e, want) in [
        ("s", "{1, 2, 3}"),
        ("{2, 1, 2, 1}", "{1, 2}"),
        ("set()", "set()"),
        ("set([3, 3, 1])", "{1, 3}"),
        ("set('aba')", "{'a', 'b'}"),
        (
            "set(range(3)), set(s), set({5: 'x'})",
            "({0, 1, 2}, {1, 2, 3}, {5})",
        ),
        ("{x % 3 for x in range(10) if x > 2}", "{0, 1, 2}"),
        (
            "{(i, j) for i in range(2) for j in range(2)}",
            "{(0, 0), (0, 1), (1, 0), (1, 1)}",
        ),
        ("[x for x in s]", "[1, 2, 3]"),
        ("list(s), sorted(s, reverse=True)", "([1, 2, 3], [3, 2, 1])"),
        ("sum(s), min(s), max(s), len(s)", "(6, 1, 3, 3)"),
        ("2 in s, 5 in s, 5 not in s", "(True, False, True)"),
        (
            "{1, 2} == {2, 1}, {1} != {1}, {1} == [1], {1, 2} == {1, 3}",
            "(True, False, False, False)",
        ),
        ("{1, 1.0, True}", "{1}"),
        (
            "{'b', 1, None, (1, 2), 'a', 2.5, -1}",
            "{None, -1, 1, 2.5, 'a', 'b', (1, 2)}",
        ),
        (
            "str(s), str(set()), f'{s}'",
            "('{1, 2, 3}', 'set()', '{1, 2, 3}')",
        ),
        (
            "bool(set()), bool(s), isinstance(s, set), isinstance([], set)",
            "(False, True, True, False)",
        ),
        ("tuple(s), [] if s else 0", "((1, 2, 3), [])"),
    ] {
        assert_eq!(expr(e), want, "{e}");
    }
}

#[test]
fn set_operators_and_methods() {
    for (e, want) in [
        (
            "s | {4}, s & {2, 9}, s - {1}, s ^ {1, 4}",
            "({1, 2, 3, 4}, {2}, {2, 3}, {2, 3, 4})",
        ),
        (
            "s.union([5], (6,)), s.intersection({1, 2}, [2])",
            "({1, 2, 3, 5, 6}, {2})",
        ),
        (
            "s.difference([1, 2]), s.symmetric_difference([3, 4])",
            "({3}, {1, 2, 4})",
        ),
        (
            "s.issubset([1, 2, 3, 4]), s.issubset({1}), s.issuperset([1])",
            "(True, False, True)",
        ),
        (
            "s.isdisjoint([7]), s.isdisjoint([3]), s.union()",
            "(True, False, {1, 2, 3})",
        ),
        ("s.add(0), s.add(1), s", "(None, None, {0, 1, 2, 3})"),
        ("s.discard(2), s.discard(9), s", "(None, None, {1, 3})"),
        ("s.remove(3), s", "(None, {1, 2})"),
        ("s.pop(), s.pop(), s", "(1, 2, {3})"),
        ("s.update([7], {8}), s", "(None, {1, 2, 3, 7, 8})"),
        ("s.clear(), s, len(s)", "(None, set(), 0)"),
        (
            "6 | 3, 6 & 3, 6 ^ 3, True | False, True & False",
            "(7, 2, 5, True, False)",
        ),
        ("1 | 2 == 3, 1 + 2 | 4, 1 | 6 & 3 ^ 1", "(True, 7, 3)"),
    ] {
        assert_eq!(expr(e), want, "{e}");
    }
}

#[test]
fn sets_are_shared_by_reference_and_updated_in_place() {
    let src = "\
def main():
    s = {1}
    alias = s
    s |= {2}
    s -= {1}
    s &= {2, 3}
    s ^= {4}
    c = s.copy()
    c.add(9)
    alias.add(5)
    n = 0
    n |= 6
    return s, alias is s, c, n
";
    assert_eq!(run(src).unwrap(), "({2, 4, 5}, True, {2, 4, 9}, 6)");
}

#[test]
fn set_errors_are_located() {
    for (body, want) in [
        ("    return {1, [2]}\n", "2:16: unhashable type: 'list'"),
        (
            "    return {x for x in [[1]]}\n",
            "2:13: unhashable type: 'list'",
        ),
        (
            "    s = set()\n    s.add({})\n",
            "3:5: unhashable type: 'dict'",
        ),
        ("    return set([[1]])\n", "2:12: unhashable type: 'list'"),
        ("    return [] in {1}\n", "2:15: unhashable type: 'list'"),
        ("    return {{1}}\n", "2:13: unhashable type: 'set'"),
        ("    {1}.remove(2)\n", "2:5: KeyError: 2"),
        (
            "    set().pop()\n",
            "2:5: KeyError: 'pop from an empty set'",
        ),
        (
            "    return {1} + {2}\n",
            "2:16: unsupported operand type(s) for +: 'set' and 'set'",
        ),
        (
            "    return {1} | [2]\n",
            "2:16: unsupported operand type(s) for |: 'set' and 'list'",
        ),
        (
            "    x = 1.5\n    return x | 2\n",
            "3:14: unsupported operand type(s) for |: 'float' and 'int'",
        ),
        (
            "    return {1}.keys()\n",
            "2:12: 'set' object has no attribute 'keys'",
        ),
        (
            "    return {1}.add()\n",
            "2:12: add() takes 1 argument (0 given)",
        ),
        ("    return set(1)\n", "2:12: 'int' object is not iterable"),
        (
            "    return set(1, 2)\n",
            "2:12: set() takes at most 1 argument (2 given)",
        ),
        (
            "    return {1}[0]\n",
            "2:16: 'set' object is not subscriptable",
        ),
    ] {
        let got = error(body);
        assert!(got.starts_with(want), "{body}: {got}");
    }
    // A missing element is a `KeyError` the program can catch.
    let src = "\
def main():
    s = {1}
    try:
        s.remove(2)
    except KeyError as e:
        return 'caught', str(e)
";
    assert_eq!(run(src).unwrap(), "('caught', '2')");
}

#[test]
fn a_task_adding_to_a_set_it_was_handed_is_impure_and_two_race() {
    let bug = "\
def work(s, x):
    s.add(x)

def main():
    s = set()
    f = fork(work, s, 1)
    g = fork(work, s, 2)
    wait(f)
    wait(g)
    return s
";
    let v = verdict(bug);
    assert!(v.contains(&"race") && v.contains(&"impure"), "{v:?}");
    // The outcome is the same in every order: the set prints in canonical order.
    assert_eq!(v[0], "deterministic", "{v:?}");
    // Under a lock the adds no longer race, but remain writes of the caller's set.
    let locked = "\
def work(s, lock, x):
    with lock:
        s.add(x)

def main():
    s = set()
    lock = Lock()
    f = fork(work, s, lock, 1)
    g = fork(work, s, lock, 2)
    wait(f)
    wait(g)
    return s
";
    assert_eq!(verdict(locked), ["deterministic", "impure"]);
    // Discarding from a set while the caller iterates it is a race.
    let removal = "\
def work(s):
    s.discard(1)

def main():
    s = {1, 2}
    f = fork(work, s)
    n = len([x for x in s])
    wait(f)
    return n
";
    let v = verdict(removal);
    assert!(v.contains(&"race") && v.contains(&"impure"), "{v:?}");
}

#[test]
fn tasks_that_only_read_a_set_or_build_their_own_are_clean() {
    let ok = "\
def work(s, x):
    mine = {y * x for y in s}
    mine.add(x)
    return len(s) + sum(mine) + (1 if x in s else 0) + len(s & {x})

def main():
    s = {1, 2, 3}
    futs = [fork(work, s, x) for x in [2, 5]]
    total = [wait(f) for f in futs]
    return total, s | {9}
";
    assert_eq!(verdict(ok), ["deterministic"]);
    let m = model(ok);
    let v = Runtime::eager().run(|| m.try_run_main()).unwrap();
    assert_eq!(format!("{v:?}"), "([17, 33], {1, 2, 3, 9})");
}

#[test]
fn set_adds_race_exactly_where_dict_stores_do() {
    // Each case: the set's initial elements, and the two tasks' elements. A new element
    // changes the structure (a race with any other access); an element already present
    // is written in its own entry, as `d[k] = None` writes an existing key's entry.
    for (init, a, b) in [("", 1, 2), ("1, 2", 1, 2), ("1, 2", 1, 1), ("1", 1, 2)] {
        let program = |make: &str, add: &str| {
            format!(
                "\
def work(c, x):
    {add}

def main():
    c = {make}
    f = fork(work, c, {a})
    g = fork(work, c, {b})
    wait(f)
    wait(g)
    return len(c)
"
            )
        };
        let dict_init: Vec<String> = (init.split(", ").filter(|k| !k.is_empty()))
            .map(|k| format!("{k}: None"))
            .collect();
        let set = program(&format!("set([{init}])"), "c.add(x)");
        let dict = program(&format!("{{{}}}", dict_init.join(", ")), "c[x] = None");
        let (vs, vd) = (verdict(&set), verdict(&dict));
        assert_eq!(vs, vd, "{init} / {a}, {b}");
        let racy = vs.contains(&"race");
        assert_eq!(
            racy,
            !(init.contains('1') && init.contains('2') && a != b),
            "{init} / {a}, {b}: {vs:?}"
        );
        assert!(vs.contains(&"impure"), "{vs:?}");
    }
}
