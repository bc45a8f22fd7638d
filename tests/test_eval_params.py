"""Evaluation parameters: Schedule-Free trains at y and is evaluated at x, everywhere."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from descend import GD, Adam, Partition, ScheduleFreeAdamW, ScheduleFreeSGD, training
from descend.runs import RunSettings, run


def test_rules_that_evaluate_where_they_train_return_the_params_themselves():
    params = {"w": np.ones(3)}
    for opt in (GD(0.1), Adam(0.01), Partition({"all": ("*", GD(0.1))})):
        state = opt.init(params)
        assert opt.evaluates_elsewhere is False
        assert opt.eval_params(params, state)["w"] is params["w"]
        trainer, evaluate = training.evaluation_view(opt, state)
        assert trainer is opt and evaluate(params) is params


def test_schedule_free_evaluates_at_the_average():
    opt = ScheduleFreeSGD(0.5, momentum=0.8)
    params = {"w": np.array([2.0, -1.0])}
    state = opt.init(params)
    np.testing.assert_array_equal(opt.eval_params(params, state)["w"], params["w"])  # x0 = y0
    for _ in range(5):
        params, state = opt.step(params, {"w": params["w"]}, state)
    x = opt.eval_params(params, state)["w"]
    # y = (1 - beta) z + beta x
    np.testing.assert_allclose(params["w"], 0.2 * state["z"]["w"] + 0.8 * x, rtol=1e-14)
    assert Partition({"sf": ("*", opt)}).evaluates_elsewhere


def test_the_training_callback_sees_the_evaluation_point():
    opt = ScheduleFreeAdamW(0.1)
    params = {"w": np.array([1.0, 2.0])}
    trainer, evaluate = training.evaluation_view(opt, opt.init(params))
    assert type(trainer) is type(opt)  # same class: the backend choice is unchanged
    state = opt.init(params)
    for _ in range(3):
        params, state = trainer.step(params, {"w": 2 * params["w"]}, state)
    np.testing.assert_array_equal(evaluate(params)["w"], opt.eval_params(params, state)["w"])


@pytest.mark.parametrize("early_stopping", [False, True])
def test_runs_report_accuracy_at_the_evaluation_point(early_stopping):
    settings = RunSettings(
        optimizer="sf_sgd", learning_rate=0.5, epochs=4, batch_size=32, hidden=(8,), seed=1,
        early_stopping=early_stopping, patience=1,
    )  # fmt: skip
    result = run(settings, backend="numpy")
    assert result.backend == "numpy"
    from descend.runs import accuracy

    data = result.data
    assert result.train_accuracy == accuracy(result.params, data.X_train, data.y_train, False)


def test_estimator_predicts_at_x_and_warm_starts_from_y():
    from descend import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = MLPClassifier((5,), solver="sf_sgd", learning_rate_init=0.5, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    opt = clf._make_optimizer()
    x = opt.eval_params(clf._train_params, clf._opt_state)
    for key in x:
        np.testing.assert_array_equal(clf.params_[key], x[key])
    assert not np.array_equal(clf.params_["W1"], clf._train_params["W1"])
    y_before = clf._train_params
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.partial_fit(X, y)
    assert clf._opt_state["t"] == 6  # the state continued: 5 epochs of one batch, then 1
    assert not np.array_equal(clf._train_params["W1"], y_before["W1"])
