"""The exercise object: a kata, a variant or a blind draw, resolved once, and what each shows."""

import random
import re

import pytest

from tools import UserError
from tools.core import catalog, exercise, variants
from tools.practice import advisor, blind, listing, progress


def first_variant(slug):
    return variants.variant_dirs(catalog.load(slug))[0].name


def test_a_kata_is_an_exercise_named_by_its_slug():
    kata = catalog.load("leakage")
    ex = exercise.of_kata(kata)
    assert (ex.name, ex.workspace, ex.title, ex.hints) == (
        "leakage",
        kata.workspace,
        kata.title,
        kata.hints,
    )
    assert ex.classes == (kata.category,) and not ex.own_folder and not ex.blind


def test_a_boss_variant_is_one_bug_with_its_own_name_texts_difficulty_and_budget():
    kata = catalog.load("boss-mlp")
    ident = first_variant("boss-mlp")
    manifest = variants.read_variant(variants.find(kata, ident))
    ex = exercise.of_variant(kata, ident)
    assert ex.name == f"boss-mlp-{ident}" and ex.workspace.name == ex.name and ex.own_folder
    assert ex.problems == (), "a variant has one bug: no '2 of 3 problems fixed'"
    assert ex.difficulty <= 4 and ex.minutes == exercise.BUDGETS[ex.difficulty - 1]
    assert "generated" not in ex.title.lower() and ex.title.startswith("A document scanner")
    for give_away in ("Category", "generated variant", "boss kata", "three independent"):
        assert give_away not in ex.brief, give_away
    assert "## What was observed" in ex.brief and f"katas/{ex.name}/network.py" in ex.brief
    assert manifest["function"] in ex.explanation and "became" in ex.explanation
    assert ex.failing_tests == tuple(manifest["failing_tests"])
    files = ex.materialise()
    assert set(files) == set(kata.files) and files != {
        n: (kata.fixed / n).read_text() for n in kata.files
    }


def test_a_blind_exercise_shows_nothing_that_names_the_kata_or_its_class():
    for slug, variant in (("leakage", None), ("boss-mlp", None), ("leakage", "first")):
        kata = catalog.load(slug)
        base = exercise.of_variant(kata, first_variant(slug)) if variant else exercise.of_kata(kata)
        ex = exercise.blind(base, "amber-heron")
        shown = "\n".join((ex.title, ex.brief, ex.hints[0]))
        assert ex.name == "amber-heron" and ex.workspace.name == "amber-heron"
        assert not re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", shown), slug
        assert kata.title not in shown and "Category" not in shown
        assert not exercise.names_class(ex.hints[0], ex.classes), ex.hints[0]
        test = ex.failing_tests[0]
        assert re.fullmatch(r"test \d+", ex.test_label(test))
        said = ex.scrub(f"{test} failed in tests/{slug}/{test.split('::')[0]} of {slug}")
        assert "test_" not in said and slug not in said.replace("amber-heron", ""), said


def test_names_resolve_to_katas_variants_and_blind_exercises():
    ident = first_variant("leakage")
    assert exercise.resolve("leakage").variant is None
    assert exercise.resolve(f"leakage-{ident}").variant == ident
    records = {"amber-heron": {"exercise": {"slug": "leakage", "variant": ident, "blind": True}}}
    found = exercise.resolve("amber-heron", records)
    assert found.blind and found.variant == ident and found.name == "amber-heron"
    with pytest.raises(UserError, match="did you mean leakage"):
        exercise.resolve("leakag")


def test_active_time_leaves_out_idle_gaps():
    record = {"solved_digests": [], "attempts": [], "hints_shown": 0}
    progress.started(record)
    progress.tick(record, now=1000.0)  # the first run after checkout starts the clock
    progress.tick(record, now=1060.0)  # a minute of work
    progress.tick(record, now=1060.0 + 3600)  # an hour away: not counted
    progress.tick(record, now=1060.0 + 3600 + 13)  # 13 s more
    assert record["active_seconds"] == pytest.approx(73.0)


def test_active_time_counts_minutes_of_reading_between_two_runs():
    record = {"solved_digests": [], "attempts": [], "hints_shown": 0}
    progress.started(record)
    progress.tick(record, now=1000.0)  # the first run
    seconds, hints, why = progress.solve(record, "mine", now=1000.0 + 7 * 60)
    assert seconds == pytest.approx(7 * 60) and hints == 0 and why == ""


def test_resubmitted_and_known_answers_never_set_a_best():
    record = {"solved_digests": [], "attempts": [], "hints_shown": 0}
    progress.started(record)
    assert progress.solve(record, "mine")[2] == ""
    first = progress.best(record)
    # running the code that just solved it again records nothing and says nothing about bests
    assert progress.solve(record, "mine")[2] == "" and len(record["attempts"]) == 1
    progress.started(record)
    assert "solved an earlier attempt" in progress.solve(record, "mine")[2]
    progress.started(record)
    assert "reference" in progress.solve(record, "theirs", known=True)[2]
    progress.started(record)
    record["peeked"] = True
    assert "shown" in progress.solve(record, "new")[2]
    assert len(record["attempts"]) == 4 and progress.best(record) == first


def _attempt(hints, seconds=60.0, when=1.0):
    return {"hints": hints, "seconds": seconds, "when": when, "counts": True}


def test_next_is_the_warm_up_on_a_fresh_clone_then_the_weakest_class_with_its_reason():
    katas = catalog.load_all()
    fresh = advisor.suggest(katas, {"katas": {}})
    assert fresh.name == advisor.WARM_UP and "warm-up" in fresh.reason
    shape = [k.slug for k in katas if k.category == "shape"][:2]
    records = {advisor.WARM_UP: {"attempts": [_attempt(0, when=1.0)]}}
    records.update(
        {slug: {"attempts": [_attempt(2, when=2.0 + i)]} for i, slug in enumerate(shape)}
    )
    records["metrics-r2"] = {"attempts": [_attempt(0, when=5.0)]}
    chosen = advisor.suggest(katas, {"katas": records}, now=10.0)
    assert chosen.reason.startswith("shape: 4 hints on your last two"), chosen
    assert catalog.load(chosen.name).category == "shape" and chosen.name not in shape


def test_an_unsolved_blind_exercise_never_shows_its_class_in_next():
    katas = catalog.load_all()
    records = {
        advisor.WARM_UP: {"attempts": [_attempt(0)]},
        "amber-heron": {
            "exercise": {"slug": "leakage-groups", "variant": None, "blind": True},
            "interviews": [{"understanding": 0.0, "when": 2.0}],
        },
    }
    assert "leakage" not in advisor.history(katas, {"katas": records})


def test_a_blind_draw_is_unseen_in_its_family_near_its_difficulty_and_neutrally_named():
    data = {"katas": {"leakage": {"started": 1.0}}}
    rng = random.Random(4)
    names = set()
    for _ in range(5):
        ex = blind.draw(data, difficulty=4, family="classification", rng=rng)
        assert (
            ex.blind
            and ex.family == "classification"
            and (ex.slug, ex.variant)
            != (
                "leakage",
                None,
            )
        )
        assert re.fullmatch(r"[a-z]+-[a-z]+", ex.name) and ex.name not in catalog.slugs()
        first, second = ex.name.split("-")
        assert first in blind.FIRST and second in blind.SECOND
        names.add(ex.name)
    with pytest.raises(UserError, match=r"unknown family 'quantum'.*classification"):
        blind.draw(data, family="quantum")


def test_the_neutral_words_name_no_bug_class():
    words = {*blind.FIRST, *blind.SECOND}
    bug_words = {w for c in exercise.CLASS_WORDS.values() for w in c} | set(catalog.CATEGORIES)
    assert not {w for w in words if any(b in w or w in b for b in bug_words)}


def test_a_solved_variant_does_not_mark_its_kata_solved(monkeypatch, capsys):
    monkeypatch.setattr(listing.workspace, "exists", lambda kata: False)
    ident = first_variant("leakage")
    record = {"exercise": {"slug": "leakage", "variant": ident, "blind": False}}
    record["attempts"] = [_attempt(1)]
    listing.print_listing([catalog.load("leakage")], {"katas": {f"leakage-{ident}": record}})
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("leakage "))
    assert "not started" in line and "variants: 1 of" in line, line
    assert "0 of 1 katas solved" in out


def test_naming_the_function_a_variant_broke_earns_a_concept():
    from tools.practice import rootcause

    kata = catalog.load("leakage")
    for path in variants.variant_dirs(kata):
        function = variants.read_variant(path).get("function")
        ex = exercise.of_variant(kata, path.name)
        assert function in ex.concepts
        said = f"The bug was in {function}: it changed what the pipeline computed."
        found = rootcause.concepts_found(ex.concepts, said, dict(ex.aliases))
        assert function in found, (function, ex.aliases)


def test_the_warm_up_comes_first_even_after_the_quick_start_checked_out_leakage():
    katas = catalog.load_all()
    quick_start = {"leakage": {"started": 5.0, "last_active": 5.0}}
    chosen = advisor.suggest(katas, {"katas": quick_start}, now=10.0)
    assert chosen.name == advisor.WARM_UP


def test_the_list_suggests_blind_practice_after_the_warm_up_and_three_named_katas(
    monkeypatch, capsys
):
    monkeypatch.setattr(listing.workspace, "exists", lambda kata: False)
    katas = catalog.load_all()
    records = {advisor.WARM_UP: {"attempts": [_attempt(0)]}}
    named = [k.slug for k in katas if k.slug != advisor.WARM_UP][:3]
    for slug in named[:2]:
        records[slug] = {"attempts": [_attempt(0)]}
    listing.print_listing(katas, {"katas": records})
    assert "--blind" not in capsys.readouterr().out
    records[named[2]] = {"attempts": [_attempt(0)]}
    listing.print_listing(katas, {"katas": records})
    assert "nox -s kata -- --blind" in capsys.readouterr().out
