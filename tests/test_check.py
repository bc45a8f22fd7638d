"""descend.check: seeded mistakes are caught and named, correct styles pass, nothing crashes it.

Every buggy implementation below is the course-style file ``tests/data/check/
course_loop.py`` with one edit, run through the real checker (a child process
per function), so each row shows a mistake as a learner would write it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import descend
from descend import checker
from descend.checker import cases, check, compare, run
from descend.checker.mistakes import MISTAKES

DATA = Path(__file__).parent / "data" / "check"
COURSE = (DATA / "course_loop.py").read_text()
HEADER = "import math\n\nimport numpy as np\n\n\n"


def course_function(name: str) -> str:
    """The source of ``def name`` in course_loop.py."""
    tree = ast.parse(COURSE)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(COURSE, node) + "\n"


def write(tmp_path: Path, source: str, name: str = "learner.py") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(source))
    return path


def with_edits(name: str, edits: list[str | tuple[str, str]]) -> str:
    """``name`` from course_loop.py with each edit, ``"old => new"`` or ``(old, new)``, applied."""
    source = course_function(name)
    for edit in edits:
        old, new = edit.split(" => ") if isinstance(edit, str) else edit
        assert old in source, f"{old!r} is not in {name}"
        source = source.replace(old, new)
    return source


def check_one(path: Path, name: str, **kwargs) -> checker.Result:
    report = check(path, [name], **kwargs)
    assert [r.function for r in report.results] == [name]
    return report.results[0]


# -- correct implementations in three styles: no false alarm ------------------------------
@pytest.mark.parametrize("style", ["course_loop.py", "comprehension.py", "in_place.py"])
def test_correct_implementations_pass(style):
    report = check(DATA / style)
    assert [r.function for r in report.results] == list(checker.COURSE_FUNCTIONS)
    assert [r.status for r in report.results] == ["PASS"] * 8, report.format()
    assert report.passed and report.exit_status == 0


# -- the seeded mistakes ---------------------------------------------------------------------
GD, BATCHES, VELOCITY = "update_parameters_with_gd", "random_mini_batches", "initialize_velocity"
MOMENTUM, ADAM = "update_parameters_with_momentum", "update_parameters_with_adam"
ADAM_INIT = "initialize_adam"


def lines_of(function: str, *starts: str) -> str:
    """The whole lines of ``function`` in course_loop.py that start (after indentation) so."""
    kept = [
        line
        for line in course_function(function).splitlines(True)
        if line.strip().startswith(starts)
    ]
    assert kept, starts
    return "".join(kept)


def block(function: str, first: str, lines: int) -> str:
    """``lines`` whole lines of ``function``, from the one that starts with ``first``."""
    source = course_function(function).splitlines(True)
    start = next(i for i, line in enumerate(source) if line.strip().startswith(first))
    return "".join(source[start : start + lines])


V_LINES = lines_of(MOMENTUM, 'v["dW"', 'v["db"')
STEP_LINES = lines_of(MOMENTUM, 'parameters["W"', 'parameters["b"')
VC_W = 'v_corrected["dW" + str(l)] = v["dW" + str(l)] / (1 - np.power(beta1, t))'
SC_W = 's_corrected["dW" + str(l)] = s["dW" + str(l)] / (1 - np.power(beta2, t))'
VC_B, SC_B = VC_W.replace("dW", "db"), SC_W.replace("dW", "db")
ZEROS_W, ZEROS_B = (
    'np.zeros(parameters["W" + str(l)].shape)',
    'np.zeros(parameters["b" + str(l)].shape)',
)
SQRT_W = '(np.sqrt(s_corrected["dW" + str(l)]) + epsilon)'
SQRT_B = SQRT_W.replace("dW", "db")
LAST_LAYER, UNSHIFTED = "range(1, L + 1) => range(1, L)", "range(1, L + 1) => range(L)"
FIVE = "return parameters, v, s, v_corrected, s_corrected"

# function, the mistake the checker must name, the learner's edits of course_loop.py ("old => new")
BUGS = [
    (GD, "ascent", ["- learning_rate * grads => + learning_rate * grads"]),
    (GD, "b-not-updated", [(lines_of(GD, 'parameters["b"'), "")]),
    (GD, "last-layer-skipped", [LAST_LAYER]),
    (GD, "layer-not-shifted", [UNSHIFTED]),
    (GD, "no-return", ["    return parameters\n => "]),
    (BATCHES, "y-not-shuffled", ["Y[:, permutation].reshape((1, m)) => Y"]),
    (BATCHES, "y-second-permutation", ["Y[:, permutation] => Y[:, np.random.permutation(m)]"]),
    (BATCHES, "rows-shuffled", ["X[:, permutation] => X[permutation, :]",
                                "Y[:, permutation] => Y[permutation, :]"]),
    (BATCHES, "short-batch-dropped", [(block(BATCHES, "if m % mini_batch_size", 4), "")]),
    (BATCHES, "batch-starts-at-k",
     ["k * mini_batch_size : (k + 1) * mini_batch_size => k : k + mini_batch_size"]),
    (BATCHES, "default-rng", ["np.random.permutation(m) => np.random.default_rng(seed).permutation(m)"]),  # noqa: E501
    (BATCHES, "another-permutation", ["    np.random.seed(seed)\n => "]),
    (VELOCITY, "keys-without-d", ['v["dW" => v["W"', 'v["db" => v["b"']),
    (VELOCITY, "parameters-copied", [(ZEROS_W, 'parameters["W" + str(l)]'),
                                     (ZEROS_B, 'parameters["b" + str(l)]')]),
    (VELOCITY, "dW-shaped-like-b", ['parameters["W" + str(l)].shape => parameters["b" + str(l)].shape']),  # noqa: E501
    (VELOCITY, "last-layer-missing", [LAST_LAYER]),
    (MOMENTUM, "swapped", ["beta * v[ => (1 - beta) * v[", "(1 - beta) * grads => beta * grads"]),
    (MOMENTUM, "no-damping", ["(1 - beta) * grads => grads"]),
    (MOMENTUM, "steps-with-dW", ["learning_rate * v[ => learning_rate * grads["]),
    (MOMENTUM, "steps-with-old-v", [(V_LINES + STEP_LINES, STEP_LINES + V_LINES)]),
    (MOMENTUM, "b-not-updated", [(lines_of(MOMENTUM, 'parameters["b"'), "")]),
    (ADAM_INIT, "parameters-copied", [(ZEROS_W, 'parameters["W" + str(l)]'),
                                      (ZEROS_B, 'parameters["b" + str(l)]')]),
    (ADAM_INIT, "keys-without-d", ['v["dW" => v["W"', 'v["db" => v["b"',
                                   's["dW" => s["W"', 's["db" => s["b"']),
    (ADAM_INIT, "dW-shaped-like-b", ['parameters["W" + str(l)].shape => parameters["b" + str(l)].shape']),  # noqa: E501
    (ADAM_INIT, "last-layer-missing", [LAST_LAYER]),
    (ADAM, "no-bias-correction", [" / (1 - np.power(beta1, t)) => ", " / (1 - np.power(beta2, t)) => "]),  # noqa: E501
    (ADAM, "t-plus-1", ["np.power(beta1, t) => np.power(beta1, t + 1)",
                        "np.power(beta2, t) => np.power(beta2, t + 1)"]),
    (ADAM, "t-minus-1", ["np.power(beta1, t) => beta1 ** (t - 1)",
                         "np.power(beta2, t) => beta2 ** (t - 1)"]),
    (ADAM, "beta-not-power", ["np.power(beta1, t) => beta1", "np.power(beta2, t) => beta2"]),
    (ADAM, "s-from-dW", ["np.square(grads[\"dW\" + str(l)]) => grads[\"dW\" + str(l)]",
                         "np.square(grads[\"db\" + str(l)]) => grads[\"db\" + str(l)]"]),
    (ADAM, "s-corrected-with-beta1", ["(1 - np.power(beta2, t)) => (1 - np.power(beta1, t))"]),
    (ADAM, "corrected-as-state", [  # v = v_corrected = v / (1 - beta1**t): written back into v
        (VC_W, 'v["dW" + str(l)] = ' + VC_W), (VC_B, 'v["db" + str(l)] = ' + VC_B),
        (SC_W, 's["dW" + str(l)] = ' + SC_W), (SC_B, 's["db" + str(l)] = ' + SC_B)]),
    (ADAM, "swapped", ["= beta1 * v[ => = (1 - beta1) * v[", "(1 - beta1) * grads => beta1 * grads",
                       "= beta2 * s[ => = (1 - beta2) * s[", "(1 - beta2) * np.sq => beta2 * np.sq"]),  # noqa: E501
    (ADAM, "no-damping", ["(1 - beta1) * grads => grads", "(1 - beta2) * np.square => np.square"]),
    (ADAM, "epsilon-inside", [(SQRT_W, 'np.sqrt(s_corrected["dW" + str(l)] + epsilon)'),
                              (SQRT_B, 'np.sqrt(s_corrected["db" + str(l)] + epsilon)')]),
    (ADAM, "b-not-updated", [(block(ADAM, 'parameters["b"', 3), "")]),
    # and the three return values of the course before 2021:
    (ADAM, "last-layer-skipped", [LAST_LAYER, (FIVE, "return parameters, v, s")]),
    (ADAM, "layer-not-shifted", [UNSHIFTED]),
    ("update_lr", "no-parentheses", ["/ (1 + decay_rate * epoch_num) => / 1 + decay_rate * epoch_num"]),  # noqa: E501
    ("update_lr", "multiplied", ["learning_rate0 / ( => learning_rate0 * ("]),
    ("update_lr", "epoch-plus-1", ["* epoch_num) => * (epoch_num + 1))"]),
    ("schedule_lr_decay", "no-floor", ["np.floor(epoch_num / time_interval) => (epoch_num / time_interval)"]),  # noqa: E501
    ("schedule_lr_decay", "no-interval", ["np.floor(epoch_num / time_interval) => epoch_num"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("function", "mistake", "edits"), BUGS, ids=[f"{f}-{m}" for f, m, _ in BUGS]
)
def test_each_seeded_mistake_is_caught_and_named(tmp_path, function, mistake, edits):
    path = write(tmp_path, with_edits(function, edits))
    result = check_one(path, function)
    assert result.status in ("FAIL", "ERROR")
    assert result.mistake == mistake, result
    known = {m.name: m.diagnosis for m in MISTAKES[function]}
    assert result.diagnosis == known[mistake]


def test_the_table_covers_every_known_mistake():
    named = {(f, m) for f, m, _ in BUGS}
    everything = {(f, m.name) for f, ms in MISTAKES.items() for m in ms}
    shared = {"no-return", "layer-not-shifted", "b-not-updated", "last-layer-skipped"}
    assert {x for x in everything - named if x[1] not in shared} == set()
    assert len(BUGS) >= 14


def test_the_docs_list_every_known_mistake():
    page = (Path(__file__).parents[1] / "docs" / "check.md").read_text()
    missing = {m.name for ms in MISTAKES.values() for m in ms if f"`{m.name}`" not in page}
    assert missing == set()


def test_a_buggy_adam_report_names_the_value_and_the_mistake(tmp_path):
    path = write(
        tmp_path,
        with_edits(
            ADAM,
            [
                ("np.power(beta1, t)", "np.power(beta1, t + 1)"),
                ("np.power(beta2, t)", "np.power(beta2, t + 1)"),
            ],
        ),
    )
    report = check(path)
    text = report.format()
    assert report.exit_status == 1
    lines = text.splitlines()
    assert lines[0] == f"descend check {path}"
    assert "update_parameters_with_adam: FAIL on case 1 of 8" in lines
    # v and s are right, so the first difference is the corrected moment, not the parameters
    assert "  value:     v_corrected['dW1'][0, 0]" in lines
    assert any(
        line.startswith("  Looks like: the bias correction uses t+1 instead of t") for line in lines
    )
    assert lines[-1] == "0 of 1 functions pass."
    data = json.loads(report.to_json())
    assert data["passed"] is False
    [entry] = data["functions"]
    assert entry["status"] == "FAIL" and entry["mistake"] == "t-plus-1"
    assert entry["case"] == 1 and entry["about"]["t"] == 1


def test_expected_values_are_descend_textbook_on_the_named_case(tmp_path):
    """The report's expected number is the reference on the case it names, element for element."""
    path = write(
        tmp_path,
        with_edits(
            ADAM, [("(1 - beta1) * grads", "grads"), ("(1 - beta2) * np.square", "np.square")]
        ),
    )
    result = check_one(path, ADAM)
    args = cases(ADAM)[result.case - 1].args
    _, v, *_ = descend.textbook.update_parameters_with_adam(*args)
    assert result.where == "v['dW1'][0, 0]"
    assert float(result.expected) == v["dW1"][0, 0]


def test_an_unknown_bug_is_reported_without_a_guess(tmp_path):
    path = write(
        tmp_path,
        with_edits(ADAM, [("learning_rate * v_corrected", "2 * learning_rate * v_corrected")]),
    )
    result = check_one(path, ADAM)
    assert result.status == "FAIL" and result.mistake is None
    assert "Looks like: no known mistake matches." in check(path).format()


# -- errors, wrong types, time-outs: reported, never a crash ----------------------------------
NOISY_GD = """
def update_parameters_with_gd(p, g, r):
    import sys
    print("x" * 10**6)
    print("y" * 10**6, file=sys.stderr)
    return {k: w - r * g["d" + k] for k, w in p.items()}
"""
ODD = [  # function, the learner's code, status, what the report says
    ("update_lr", "def update_lr(a, b, c):\n    return a / 0", "ERROR", "ZeroDivisionError: float division by zero"),  # noqa: E501
    ("update_lr", "def update_lr(a, b, c):\n    return [a]", "FAIL", "a list of 1"),
    (ADAM, "def update_parameters_with_adam(p, g, v, s, t, *rest):\n    return p, v, s, v", "FAIL", "a tuple of 4"),  # noqa: E501
    (GD, "def update_parameters_with_gd(p, g, r):\n    return (x for x in p)", "FAIL", "generator"),
    (GD, "def update_parameters_with_gd(p, g, r):\n    return {k: np.array([None]) for k in p}",
     "FAIL", "ndarray of dtype object"),
    (GD, "def update_parameters_with_gd(p, g, r):\n    raise SystemExit(3)", "ERROR", "SystemExit: 3"),  # noqa: E501
    (GD, "def update_parameters_with_gd(p, g, r):\n    import os\n    os._exit(7)", "ERROR", "exit status 7"),  # noqa: E501
    (GD, NOISY_GD, "PASS", None),
    (VELOCITY, "def initialize_velocity(p):\n    return {('d', k): 0 for k in p}", "FAIL", "no key 'dW1'"),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("function", "source", "status", "text"), ODD)
def test_odd_behaviour_is_reported(tmp_path, function, source, status, text):
    result = check_one(write(tmp_path, source), function)
    assert result.status == status
    if text is not None:
        shown = " ".join(str(x) for x in (result.got, result.error, result.problem) if x)
        assert text in shown


def test_the_learners_line_is_shown_for_an_error(tmp_path):
    path = write(
        tmp_path,
        with_edits("update_lr", [("(1 + decay_rate * epoch_num)", "(decay_rate * epoch_num)")]),
    )
    result = check_one(path, "update_lr")
    assert result.status == "ERROR" and result.error == "ZeroDivisionError: float division by zero"
    assert result.error_line == (
        "in update_lr, line 7: learning_rate = learning_rate0 / (decay_rate * epoch_num)"
    )


def test_a_hang_is_a_timeout_and_the_others_still_run(tmp_path):
    path = write(
        tmp_path,
        "def update_lr(a, b, c):\n    while True:\n        pass\n\n\n"
        + course_function("schedule_lr_decay"),
    )
    report = check(path, time_limit=1.0)
    hung, fine = report.results
    assert (hung.status, hung.case, hung.problem) == ("TIMEOUT", 1, "did not finish in time")
    assert fine.status == "PASS" and report.exit_status == 1
    assert "update_lr: TIMEOUT on case 1 of 7" in report.format()


def test_a_file_that_fails_to_load_is_an_error_for_each_function(tmp_path):
    path = write(
        tmp_path,
        course_function("update_lr")
        + course_function("schedule_lr_decay")
        + "\nraise RuntimeError('training needs the data folder')\n",
    )
    report = check(path)
    assert [r.status for r in report.results] == ["ERROR", "ERROR"]
    assert report.results[1].problem == (
        "loading learner.py raised RuntimeError: training needs the data folder"
    )
    assert report.results[0].error_line.startswith("in <module>, line ")


def test_a_file_that_hangs_while_loading_is_a_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "LOAD_LIMIT", 1.0)
    path = write(tmp_path, course_function("update_lr") + "\nwhile True:\n    pass\n")
    [result] = check(path).results
    assert result.status == "TIMEOUT" and result.problem.startswith(
        "loading learner.py took longer"
    )


# -- notebooks ----------------------------------------------------------------------------------
def notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": text.splitlines(True),
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for kind, text in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_a_notebook_runs_only_its_imports_and_definitions(tmp_path):
    """Training cells, magics and shell lines never run; a missing course helper is skipped."""
    functions = [course_function(n) for n in checker.COURSE_FUNCTIONS]
    cells = [
        ("markdown", "# Optimization methods"),
        (
            "code",
            "import numpy as np\nimport math\n%matplotlib inline\n"
            "from opt_utils_v1a import load_dataset\nfrom testCases import *\n",
        ),
        *[("code", f) for f in functions[:4]],
        ("code", "!pip install nothing\n" + functions[4]),
        ("code", "while True:\n    pass  # a training cell that would never end"),
        ("code", "%%time\nraise SystemExit('a training cell')"),
        ("code", "parameters = model(train_X, train_Y, layers_dims, optimizer='adam')"),
        ("code", "def broken(:\n    pass"),
        *[("code", f) for f in functions[5:]],
    ]
    path = tmp_path / "Optimization_methods.ipynb"
    path.write_text(notebook(cells))
    report = check(path)
    assert [r.status for r in report.results] == ["PASS"] * 8, report.format()
    assert any("No module named 'opt_utils_v1a'" in n for n in report.notes)
    assert any("1 code cell(s) are not Python" in n for n in report.notes)


def test_a_notebook_error_shows_the_learners_line(tmp_path):
    source = with_edits("update_lr", [("(1 + decay_rate * epoch_num)", "(decay_rate * epoch_num)")])
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook([("code", "import numpy as np"), ("code", source)]))
    [result] = check(path).results
    assert (
        result.error_line
        == "in update_lr: learning_rate = learning_rate0 / (decay_rate * epoch_num)"
    )


# -- usage errors ---------------------------------------------------------------------------------
def test_usage_errors(tmp_path):
    empty = write(tmp_path, "def helper():\n    pass\n", "empty.py")
    lr = write(tmp_path, course_function("update_lr"), "lr.py")
    (tmp_path / "bad.ipynb").write_text("{not json")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "syntax.py").write_text("def f(:\n")
    rows = [
        (tmp_path / "missing.py", None, "missing.py: no such file"),
        (tmp_path / "notes.txt", None, "expected a .py module or a .ipynb notebook"),
        (tmp_path / "syntax.py", None, "syntax.py: line 1"),
        (tmp_path / "bad.ipynb", None, "not a Jupyter notebook"),
        (empty, None, "defines none of the course functions"),
        (lr, ["update_lr", "adam"], "unknown function 'adam'"),
        (lr, ["schedule_lr_decay"], "does not define schedule_lr_decay"),
        (lr, [], "no function to check"),
    ]
    for path, functions, pattern in rows:
        with pytest.raises(checker.UsageError, match=pattern):
            check(path, functions)
    with pytest.raises(checker.UsageError, match="time_limit"):
        check(lr, time_limit=0)
    assert [r.function for r in check(lr, "update_lr").results] == ["update_lr"]


# -- the pieces ---------------------------------------------------------------------------------
def test_every_variant_differs_from_the_reference_and_from_the_others():
    """Otherwise a correct file could be diagnosed, or one mistake named for another."""
    for name, spec in run.FUNCTIONS.items():
        function_cases = cases(name)
        reference = [run.outcome_of(spec.reference, c) for c in function_cases]
        outcomes = {}
        for mistake in MISTAKES[name]:
            if mistake.variant is None:
                assert (
                    not any(
                        mistake.matches(r, c)
                        for r, c in zip(reference, function_cases, strict=True)
                    )
                    or mistake.name == "another-permutation"
                )
                continue
            got = [run.outcome_of(mistake.variant, c) for c in function_cases]
            assert not all(
                compare.same(r, g, spec.difference) for r, g in zip(reference, got, strict=True)
            ), mistake.name
            for other, seen in outcomes.items():
                assert not all(
                    compare.same(s, g, spec.difference) for s, g in zip(seen, got, strict=True)
                ), (mistake.name, other)
            outcomes[mistake.name] = got


def test_cases_are_the_same_on_every_call_and_cover_the_issue():
    a, b = cases(ADAM), cases(ADAM)
    for x, y in zip(a, b, strict=True):
        assert x.describe() == y.describe()
        assert compare.same(compare.plain(x.args), compare.plain(y.args))
    assert {len(c.about["layers_dims"]) - 1 for c in a} == {1, 2, 3, 4}
    assert {c.about["t"] for c in a} >= {1, 2, 100_000}
    sizes = [(c.args[0].shape[1], c.about.get("mini_batch_size", 64)) for c in cases(BATCHES)]
    assert any(m % size for m, size in sizes) and any(m % size == 0 for m, size in sizes)


@pytest.mark.parametrize(
    ("expected", "got", "where", "exp", "got_text"),
    [
        ({"a": np.ones(2)}, {"a": np.ones(2), "b": 1}, "x", "no key 'b'", "a key 'b'"),
        ({"a": np.ones(2)}, {}, "x", "a key 'a'", "no key 'a'"),
        ({"a": np.ones((2, 1))}, {"a": np.ones(2)}, "x['a']", "shape (2, 1)", "shape (2,)"),
        ({"a": np.ones(3)}, {"a": np.array([1.0, 1.0, 1.1])}, "x['a'][2]", "1.0", "1.1"),
        (0.5, None, "x", "a number", "NoneType"),
        ([np.ones(1)], (np.ones(1), np.ones(1)), "x", "a list of 1", "a tuple of 2"),
    ],
)
def test_first_difference(expected, got, where, exp, got_text):
    d = compare.first_difference(compare.plain(expected), compare.plain(got), "x")
    assert (d.place, d.expected, d.got) == (where, exp, got_text)


def test_tolerance_takes_rounding_but_not_a_mistake():
    x = np.array([0.3, 1e-12, -2.0])
    assert compare.first_difference(x, x * (1 + 1e-12), "x") is None
    assert compare.first_difference(x, x + np.array([0, 0, 1e-6]), "x") is not None


def test_adam_may_return_three_or_five_values():
    spec = run.FUNCTIONS[ADAM]
    expected = run.outcome_of(spec.reference, cases(ADAM)[1])
    assert spec.difference(expected, expected[:3]) is None
    d = spec.difference(expected, expected[:4])
    assert d.where == "the return value" and d.got == "a tuple of 4"


# -- the package ----------------------------------------------------------------------------------
def test_descend_check_is_the_checker_loaded_lazily():
    assert descend.check is checker.check
    code = "import sys, descend; print('descend.checker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the command ----------------------------------------------------------------------------------
def test_the_command_prints_the_report_and_exits_by_the_verdict(tmp_path, capsys):
    from descend.cli import main

    buggy = write(tmp_path, with_edits(ADAM, ["np.power(beta1, t) => beta1"]))
    assert main(["check", str(buggy)]) == 1
    out = capsys.readouterr().out
    assert "update_parameters_with_adam: FAIL on case 2 of 8" in out
    # beta1 only: no variant gives the whole return value, one gives v_corrected
    assert "Looks like: in v_corrected, the bias correction uses β instead of β^t" in out
    assert (
        main(["check", str(DATA / "comprehension.py"), "--functions", "update_lr,initialize_adam"])
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == "2 of 2 functions pass."
    assert main(["check", str(buggy), "--json", "--time-limit", "5"]) == 1
    assert json.loads(capsys.readouterr().out)["functions"][0]["mistake"] == "beta-not-power"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.py"], "missing.py: no such file"),
        (["lr.py", "--functions", "adam"], "unknown function 'adam'"),
        (
            ["lr.py", "--functions", "update_lr,schedule_lr_decay"],
            "does not define schedule_lr_decay",
        ),
    ],
)
def test_the_command_usage_errors_exit_2_with_one_line(
    tmp_path, capsys, monkeypatch, argv, message
):
    from descend.cli import main

    write(tmp_path, course_function("update_lr"), "lr.py")
    monkeypatch.chdir(tmp_path)
    assert main(["check", *argv]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("descend: error: ") and message in err[0]


def test_the_command_as_a_real_process(tmp_path):
    path = write(tmp_path, course_function("schedule_lr_decay").replace("np.floor", ""))
    done = subprocess.run(
        [sys.executable, "-m", "descend", "check", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1, done.stderr
    assert "Looks like: the floor is missing" in done.stdout
    empty = write(tmp_path, "x = 1\n", "empty.py")
    done = subprocess.run(
        [sys.executable, "-m", "descend", "check", str(empty)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "defines none of the course functions" in done.stderr
