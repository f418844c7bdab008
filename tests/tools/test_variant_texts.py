"""A variant's texts speak of its own change: symptom first, then its function, the class last."""

from __future__ import annotations

import ast
import difflib
import re

import pytest

from tools import ROOT
from tools.core import catalog, variants
from tools.core.collector import Outcome, Report
from tools.core.variants import read_variant, variant_dirs
from tools.mutation import bugclasses, texts
from tools.mutation.measure import Change
from tools.mutation.model import Mutant

LEAKAGE = (ROOT / "fixed" / "leakage" / "pipeline.py").read_text()
CLIMBING = LEAKAGE.replace("w -= lr *", "w += lr *", 1)
CLIMB_LINE = next(i for i, line in enumerate(CLIMBING.splitlines(), 1) if "w += lr *" in line)


def variant(bug_class: str = "gradient-sign") -> Mutant:
    m = Mutant("m-x-1", "mutmut", "k", "", "fit_logistic_regression", "pipeline.py", CLIMBING)
    m.bug_class, m.failing = bug_class, ["test_leakage.py::test_a", "test_leakage.py::test_b"]
    return m


def report(where: str = "", message: str = "the loss rose from 0.69 to 7.1") -> Report:
    reason = "numerical" if where else "assertion"
    failures = [
        Outcome("test_leakage.py::test_a", False, reason, "AssertionError", message, where),
        Outcome("test_leakage.py::test_b", False, "assertion", "AssertionError", "accuracy 0.27"),
    ]
    return Report([Outcome("test_leakage.py::test_c", True), *failures], exit_code=1)


SEEN = Change(
    (("test_accuracy", "0.77", "0.27"), ("bias", "-0.6248", "-6.926")),
    "", (), True, True, "run_pipeline(make_customers())",
)  # fmt: skip
QUIET = Change((), "", (), False, True, "run_pipeline(make_customers())")
CRASH = Change(
    (), "ValueError: shapes (3,) and (4,) not aligned (pipeline.py:64 in fit_logistic_regression)",
    (), True, True, "run_pipeline(make_customers())",
)  # fmt: skip


def unquoted(text: str) -> str:
    """``text`` without its code spans: names quoted from code are not the text naming a class."""
    return re.sub(r"`[^`]*`", "", text).lower()


def names(word: str, text: str) -> bool:
    """Whether ``text`` (outside code spans) has a word starting with ``word`` ("scale" is not
    in "greyscale", "regularis" is in "regularisation")."""
    return bool(re.search(rf"(?<![a-z]){re.escape(word.lower())}", unquoted(text)))


def assert_texts_fit(data: dict, function: str) -> None:
    """The rules every handed-out variant's texts follow."""
    short = function.rsplit(".", 1)[-1]
    hints, key = data["hints"], data["bug_class"]
    assert len(hints) >= 2
    assert f"`{short}`" in hints[-2] or f"`{function}`" in hints[-2], (
        "the hint before the last names the function"
    )
    assert short in data["explanation"], "the explanation names the function"
    for hint in hints[:-1]:
        for word in bugclasses.giveaways(key):
            assert not names(word, hint), f"{word!r} names the class before the last hint: {hint}"
    assert bugclasses.CLASSES[key].title in hints[-1], "the last hint names the class"


@pytest.mark.parametrize("key", sorted(bugclasses.CLASSES))
@pytest.mark.parametrize(
    "change", [SEEN, QUIET, CRASH, None], ids=["seen", "quiet", "crash", "unknown"]
)
def test_every_class_gets_texts_about_the_change_with_the_class_named_last(key, change):
    kata = catalog.load("leakage")
    data = texts.learner_texts(kata, variant(key), LEAKAGE, report(), change)
    assert_texts_fit(data, "fit_logistic_regression")
    assert (
        "`w -= lr * (X.T @ error) / n` became `w += lr * (X.T @ error) / n`" in data["explanation"]
    )
    assert f"line {CLIMB_LINE}" in data["explanation"]
    assert "Why it matters" in data["explanation"] and data["difficulty_evidence"]


def test_the_figures_that_moved_are_the_symptom_and_the_explanation_measures_them():
    kata = catalog.load("leakage")
    data = texts.learner_texts(kata, variant(), LEAKAGE, report(), SEEN)
    assert "`test_accuracy` is 0.27 where a correct pipeline gives 0.77" in data["hints"][0]
    assert "`test_accuracy` went from 0.77 to 0.27" in data["explanation"]
    assert "`test_accuracy` is 0.27" in data["brief"] and "the loss rose" in data["brief"]


def test_a_crash_is_told_as_a_crash_never_as_silent():
    kata = catalog.load("leakage")
    data = texts.learner_texts(kata, variant("shape"), LEAKAGE, report(), CRASH)
    assert "stops with `ValueError: shapes (3,) and (4,) not aligned" in data["explanation"]
    assert "silent" not in (data["explanation"] + " ".join(data["hints"])).lower()


def test_a_run_that_was_not_measured_is_not_said_to_look_normal():
    kata = catalog.load("leakage")
    unknown = texts.learner_texts(kata, variant("scale"), LEAKAGE, report(), None)
    quiet = texts.learner_texts(kata, variant("scale"), LEAKAGE, report(), QUIET)
    assert "looks normal" not in unknown["hints"][0] and "test_a" in unknown["hints"][0]
    assert "looks normal" in quiet["hints"][0] and "looks right" in quiet["title"]


def test_a_figure_named_after_the_changed_function_counts_as_naming_it():
    m = variant()
    m.function = "rmse"
    got, _ = texts.difficulty(m, 0, report(message="run_job(x)['train_rmse'] is 249.9"), None)
    assert got == 2


@pytest.mark.parametrize(
    ("where", "message", "change", "level"),
    [
        (f"pipeline.py:{CLIMB_LINE} in fit_logistic_regression", "overflow", SEEN, 1),
        ("pipeline.py:20 in fit_logistic_regression", "overflow", SEEN, 2),
        ("", "fit_logistic_regression returned weights that ...", QUIET, 2),
        ("", "accuracy 0.27", SEEN, 3),
        ("", "accuracy 0.27", QUIET, 3),
        # a message that states the changed line's condition: `error` is a name on that line
        ("", "the step moves w along `error` instead of against it", QUIET, 2),
        ("", "the training error grew at every step", QUIET, 3),  # a word, not the name
    ],
)
def test_difficulty_is_measured_from_what_a_learner_meets(where, message, change, level):
    m = variant()
    got, evidence = texts.difficulty(m, CLIMB_LINE, report(where, message), change)
    assert got == level, evidence


GENERATED = [
    (kata, path)
    for slug in catalog.slugs()
    for kata in [catalog.load(slug)]
    for path in variant_dirs(kata)
    if "difficulty_evidence" in read_variant(path)
]


@pytest.mark.parametrize(
    ("kata", "path"), GENERATED, ids=[f"{k.slug}/{p.name}" for k, p in GENERATED]
)
def test_every_handed_out_variant_names_its_function_and_its_class_only_last(kata, path):
    data = read_variant(path)
    assert_texts_fit(data, str(data["function"]))


# -- every committed variant, read as a reviewer would ---------------------------------------------

COMMITTED = [
    (kata, path)
    for slug in catalog.slugs()
    for kata in [catalog.load(slug)]
    for path in variant_dirs(kata)
    if read_variant(path).get("source") in ("mutmut", "ml")
]
IDS = [f"{k.slug}/{p.name}" for k, p in COMMITTED]


def change_of(kata, path) -> tuple[str, str, str]:
    """(old code, new code, the whole changed module) of a committed variant: the changed lines
    of code, comments and docstring lines left out, each side joined by newlines."""
    before = {n: (kata.fixed / n).read_text() for n in kata.files}
    after = variants.materialise(kata, path)
    name = next(n for n in kata.files if before[n] != after[n])
    a, b = before[name].splitlines(), after[name].splitlines()
    old, new = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            old += [
                x.strip() for x in a[i1:i2] if x.strip() and not x.strip().startswith(("#", '"""'))
            ]
            new += [
                x.strip() for x in b[j1:j2] if x.strip() and not x.strip().startswith(("#", '"""'))
            ]
    return "\n".join(old), "\n".join(new), before[name]


def body_of(module: str, function: str) -> str:
    """The source of ``function`` (``Class.method`` or a name) in ``module``."""
    tree, (*owners, name) = ast.parse(module), function.split(".")
    scope = tree.body
    for owner in owners:
        scope = next((n.body for n in scope if isinstance(n, ast.ClassDef) and n.name == owner), [])
    found = [n for n in scope if isinstance(n, ast.FunctionDef) and n.name == name]
    return ast.get_source_segment(module, found[0]) or "" if found else ""


def flipped(old: str, new: str, *pairs: tuple[str, str]) -> bool:
    """Whether one side has ``a`` where the other has ``b``, for one of ``pairs``."""
    return any(
        (old.count(a) > new.count(a) and new.count(b) > old.count(b))
        or (new.count(a) > old.count(a) and old.count(b) > new.count(b))
        for a, b in pairs
    )


def loose(code: str) -> str:
    """``code`` with every ``<=`` and ``>=`` made strict: equal for a boundary moved by one."""
    return re.sub(r"([<>])=", r"\1", code)


LEARNING_CODE = re.compile(r"grad|backward|backprop|fit|train|step|update|descent|sgd", re.I)
# What each class's change must look like, read from the change itself (the operator's name is
# not evidence): a class that needs exp or log on the line is never a metric's typo, a gradient
# class is never outside learning code, and so on.
CONTEXT = {
    "stability": lambda o, n, f, body="": bool(
        re.search(r"\bexp\(|log\(|logaddexp|logsumexp", o + n + body)
    ),
    "guard": lambda o, n, f: bool(re.search(r"clip|where|eps|maximum|[<>]=?\s*0\b|/|abs", o)),
    "variance": lambda o, n, f: (
        bool(re.search(r"\bvar\b|\bstd\b|\.var\(|\.std\(", o)) and "** 2" in n
    ),
    "precision": lambda o, n, f: "float32" in n or bool(re.search(r"log1p|expm1", o)),
    "gradient-sign": lambda o, n, f: bool(LEARNING_CODE.search(f) and re.search(r"[-+]", o + n)),
    "gradient-scale": lambda o, n, f: (
        bool(LEARNING_CODE.search(f)) and bool(re.search(r"mean|sum|/|\*|len\(", o))
    ),
    "sign": lambda o, n, f: bool(re.search(r"[-+]", o + n)),
    "scale": lambda o, n, f: (
        flipped(o, n, (".mean(", ".sum("), ("np.mean(", "np.sum("))
        or bool(re.search(r"/\s*\(?\s*(n\w*|len\(|\w+\.shape\[0\]|\w+\.size)", o))
    ),
    "signed-error": lambda o, n, f: "abs" in o and "abs" not in n and "-" in o,
    "comparison": lambda o, n, f: o != n and loose(o) == loose(n),
    "shape": lambda o, n, f: bool(
        re.search(
            r"axis|\.T\b|reshape|None|@|shape|keepdims|ravel|squeeze|newaxis|atleast|expand", o + n
        )
    ),
    "off-by-one": lambda o, n, f: (
        bool(re.search(r"\d", o + n)) or (o != n and loose(o) == loose(n))
    ),
    "leakage": lambda o, n, f: bool(re.search(r"train|test|fit|transform|idx|\[", o + n)),
    "evaluation": lambda o, n, f: "train" in n and "test" in o,
    "split": lambda o, n, f: bool(re.search(r"permutation|arange|shuffle", o + n)),
    "copy": lambda o, n, f: "copy" in o,
    "alignment": lambda o, n, f: bool(re.search(r"reset_index|to_numpy|index", o)),
    "merge": lambda o, n, f: bool(re.search(r"merge|drop_duplicates|how=", o)),
    "averaging": lambda o, n, f: flipped(o, n, ("macro", "micro")),
    "smoothing": lambda o, n, f: bool(re.search(r"alpha|smooth|prior|laplace", o)),
    "penalty": lambda o, n, f: bool(re.search(r"alpha|lam|l2|penalty|reg", o)),
    "flag": lambda o, n, f: (
        flipped(o, n, ("True", "False"), ('"last"', '"first"'))
        or bool(re.search(r"ascending|index=|keep=", o + n))
    ),
}


@pytest.mark.parametrize(("kata", "path"), COMMITTED, ids=IDS)
def test_every_committed_variant_is_told_about_its_own_change(kata, path):
    data = read_variant(path)
    key, function = data["bug_class"], str(data["function"])
    assert key in bugclasses.CLASSES, f"{key!r} is no class a learner is handed"
    hints, short = data["hints"], function.rsplit(".", 1)[-1]
    for text in (data["title"], *hints[:-1]):
        for word in bugclasses.giveaways(key):
            assert not names(word, text), f"{word!r} names the class: {text}"
    assert short in hints[1] or short in data["explanation"], "hint 2 or the explanation names it"
    everything = "\n".join((data["title"], data["brief"], *hints, data["explanation"]))
    # A scenario may say its data are generated; a text may not call the bug or variant so.
    stale = re.search(r"generated (bug|variant|change)|\bCategory\b", everything)
    assert not stale, f"{stale[0]!r} in the texts of {path.name}"
    assert not re.search(r"\[[-\d.e+ ,nainf]{12,}\]", data["title"]), "no raw arrays in a title"
    assert len(data["title"]) <= 160
    if "stops with" in data["explanation"]:
        assert "looks normal" not in hints[0] and "silent" not in everything.lower()


@pytest.mark.parametrize(("kata", "path"), COMMITTED, ids=IDS)
def test_every_committed_variant_has_the_class_its_change_shows(kata, path):
    data = read_variant(path)
    old, new, module = change_of(kata, path)
    key, function = data["bug_class"], str(data["function"])
    body = body_of(module, function)
    fits = CONTEXT[key](old, new, function, body) if key == "stability" else None
    fits = fits if fits is not None else CONTEXT[key](old, new, function)
    assert fits, f"{key} does not fit `{old}` -> `{new}` in {function}"
    # The rules the context decides, whatever operator made the change:
    if "abs(" in old and "abs(" not in new:  # exp(-abs(z)) is a safeguard; |y - p| an error's size
        assert (key == "stability") == bool(re.search(r"exp\(\s*-\s*(np\.)?abs", old)), key
        if re.search(r"mean\(.*abs\(.*\w\s+-\s+\w", old):
            assert key == "signed-error", key
    if key in ("gradient-sign", "gradient-scale"):
        assert LEARNING_CODE.search(function), f"a gradient class outside learning code: {function}"
    if key == "stability":
        found = re.search(r"\bexp\(|logaddexp|logsumexp|softmax|sigmoid", old + new + body)
        assert found, "no exp or log near the change: a metric is not an overflow"
    assert bugclasses.CLASSES[key].category == data["category"]


@pytest.mark.parametrize(
    ("key", "old", "new", "function"),
    [
        ("stability", "return float(np.mean(np.abs(y_true - y_pred)))", "return float(np.mean(y_true - y_pred))", "mean_absolute_error"),
        ("comparison", "members = X[labels == j]", "members = X[labels != j]", "update"),
        ("gradient-sign", "pred = X_test @ w + b", "pred = X_test @ w - b", "run_pipeline"),
        ("scale", "return float(np.mean(x > 0))", "return float(np.mean(x >= 0))", "share"),
        ("signed-error", "err = np.abs(y - p)", "err = np.abs(y + p)", "mae"),
    ],
)  # fmt: skip
def test_the_context_rules_refuse_a_class_the_change_does_not_show(key, old, new, function):
    assert not CONTEXT[key](old, new, function)
