"""A scikit-learn-compatible multi-layer perceptron classifier trained by descend.

:class:`MLPClassifier` takes ``X`` of shape ``(n_samples, n_features)`` like
every scikit-learn estimator, turns it into descend's column layout
internally, and trains a :mod:`descend.network` with any optimizer of
:mod:`descend.optim`, one ``step`` per mini-batch.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils import shuffle as shuffle_indices
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from . import registry, training
from .batching import MiniBatches
from .gradients import network_gradients
from .network import ACTIVATIONS, forward
from .optim.base import Optimizer, Params
from .optim.checks import check_bool, check_int, check_positive, check_range
from .stopping import EarlyStopping

__all__ = ["SOLVER_ALIASES", "SOLVER_HYPERPARAMETERS", "MLPClassifier", "available_solvers"]

_ADAM_FAMILY = {"beta_1": "beta1", "beta_2": "beta2", "epsilon": "epsilon"}

#: solver name -> {estimator parameter: optimizer keyword} handed to
#: :func:`descend.registry.make_optimizer` besides ``learning_rate_init``.
#: Solvers missing here (added to the registry later) get the learning rate only.
SOLVER_HYPERPARAMETERS: dict[str, dict[str, str]] = {
    "momentum": {"momentum": "beta"},
    "nesterov": {"momentum": "beta"},
    "adam": _ADAM_FAMILY,
    "amsgrad": _ADAM_FAMILY,
    "adamw": _ADAM_FAMILY,
    "rmsprop": {"epsilon": "epsilon"},
    "adagrad": {"epsilon": "epsilon"},
    # the element-wise rules of #13; Adadelta takes the rate only (scikit-learn's epsilon
    # default, 1e-8, would replace its own 1e-6, which sets the size of its steps), and
    # Lion beta_1 only (beta_2's Adam default, 0.999, would replace Lion's 0.99)
    "nadam": _ADAM_FAMILY,
    "nadamw": _ADAM_FAMILY,
    "radam": _ADAM_FAMILY,
    "adamax": _ADAM_FAMILY,
    "adadelta": {},
    "lion": {"beta_1": "beta1"},
}
# the modern pack (#13)
SOLVER_HYPERPARAMETERS.update(
    {
        "sf_adamw": _ADAM_FAMILY,
        "lamb": _ADAM_FAMILY,
        "sf_sgd": {"momentum": "momentum"},
        "lars": {"momentum": "momentum"},
        "muon": {"momentum": "momentum"},
        "prodigy": _ADAM_FAMILY,  # its rate multiplies d: pass learning_rate_init=1.0
    }
)

#: Names that mean another solver: scikit-learn's "sgd" is descend's "gd".
SOLVER_ALIASES = {"sgd": "gd"}


def available_solvers() -> tuple[str, ...]:
    """The solver names :class:`MLPClassifier` accepts: ``descend.registry.NAMES`` and "sgd"."""
    names = list(registry.NAMES)
    for alias, target in SOLVER_ALIASES.items():
        if target in names:
            names.insert(names.index(target) + 1, alias)
    return tuple(names)


def _glorot_uniform(
    layer_units: list[int], activation: str, random_state: np.random.RandomState, dtype
) -> Params:
    r"""Glorot-uniform weights and biases, drawn as scikit-learn's MLP draws them.

    For each layer, :math:`W_l, b_l \sim U(-r, r)` with
    :math:`r = \sqrt{6 / (n_{l-1} + n_l)}` (factor 2 instead of 6 for the
    logistic activation). The draws come in scikit-learn's order and shape
    (``W`` as ``(n_{l-1}, n_l)``, then ``b``), so the same ``random_state`` gives
    the same starting network as ``sklearn.neural_network.MLPClassifier``.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    params: Params = {}
    for l in range(1, len(layer_units)):
        fan_in, fan_out = layer_units[l - 1], layer_units[l]
        bound = np.sqrt(factor / (fan_in + fan_out))
        w = random_state.uniform(-bound, bound, (fan_in, fan_out))
        b = random_state.uniform(-bound, bound, fan_out)
        params[f"W{l}"] = np.ascontiguousarray(w.T, dtype=dtype)
        params[f"b{l}"] = b.astype(dtype).reshape(fan_out, 1)
    return params


class MLPClassifier(ClassifierMixin, BaseEstimator):
    r"""Multi-layer perceptron classifier trained with descend's optimizers.

    The parameters keep the names and meanings of
    ``sklearn.neural_network.MLPClassifier``; ``solver`` accepts every descend
    optimizer (see :func:`available_solvers`).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        Units of each hidden layer; ``()`` gives logistic/softmax regression.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
        Activation of the hidden layers.
    solver : str, default "adam"
        The descend optimizer: "gd" (plain gradient descent; "sgd" is the same),
        "momentum", "adam", and, where :mod:`descend.optim` has them,
        "nesterov", "adamw", "amsgrad", "rmsprop", "adagrad".
    alpha : float, default 1e-4
        Strength of the L2 penalty, ``>= 0``, scaled as in scikit-learn (below).
    batch_size : int or "auto", default "auto"
        Examples per mini-batch; "auto" is ``min(200, n_samples)``. Larger than
        ``n_samples`` is clipped with a warning. ``1`` is SGD, ``n_samples`` batch GD.
    learning_rate_init : float, default 0.001
        The optimizer's learning rate α, ``> 0``.
    max_iter : int, default 200
        Maximum number of epochs (passes over the training data), ``>= 1``.
    shuffle : bool, default True
        Reshuffle the examples before each epoch.
    random_state : int, RandomState or None, default None
        Seeds the initial weights, the shuffles and the validation split.
    tol : float, default 1e-4
        Improvement, ``>= 0``, below which an epoch counts as no progress.
    verbose : bool or int, default False
        Print the loss of each epoch when true or a positive int (scikit-learn's
        ``verbose=10`` works; every level prints the same).
    warm_start : bool, default False
        ``fit`` continues from the previous weights *and optimizer state*.
    momentum : float, default 0.9
        β of "momentum" and "nesterov", ``0 <= momentum < 1``.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified) and
        stop when its accuracy stops improving; the best weights are kept.
    validation_fraction : float, default 0.1
        ``0 < validation_fraction < 1``; used only with ``early_stopping``.
    beta_1, beta_2 : float, default 0.9, 0.999
        β1 and β2 of the Adam family, each in ``[0, 1)``.
    epsilon : float, default 1e-8
        ε of the Adam family (and of "rmsprop", "adagrad"), ``> 0``.
    n_iter_no_change : int, default 10
        Stop after more than this many epochs in a row without an improvement
        of ``tol`` (in the training loss, or the validation accuracy with
        ``early_stopping``), ``>= 1``; ``numpy.inf`` never stops.
    backend : {"auto", "numpy", "numba"}, default "auto"
        Where the epochs run (:func:`descend.training.train`): the compiled
        backend when numba is installed, else NumPy.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        The class labels, sorted.
    n_features_in_ : int
        Number of features seen in ``fit``.
    params_ : dict
        The network in descend's layout: ``W1, b1, ..., WL, bL`` with
        ``W_l.shape == (n_l, n_{l-1})``, ``b_l.shape == (n_l, 1)``. For a
        Schedule-Free solver these are the evaluation point (``x``); training
        (``warm_start``, ``partial_fit``) continues from its own point.
    coefs_, intercepts_ : list of ndarray
        The same weights in scikit-learn's layout (``W_l.T`` and ``b_l`` flattened).
    loss_ : float
        Loss of the last epoch.
    loss_curve_ : list of float
        Loss of each epoch: the mean cross-entropy over the epoch's mini-batches
        plus the penalty, as scikit-learn reports it.
    best_loss_ : float or None
        Lowest loss seen (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation accuracy of each epoch, with ``early_stopping``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_iter_ : int
        Epochs run by the last ``fit`` (1 after ``partial_fit``).
    backend_ : str
        The backend that ran the last ``fit`` or ``partial_fit``, and
        ``backend_reason_`` why.
    t_ : int
        Training examples seen by the optimizer over all calls (as scikit-learn);
        the optimizer's own count of updates is ``_opt_state["t"]``.
    n_layers_ : int
        Layers counting input and output.
    n_outputs_ : int
        Output units: 1 (sigmoid) for two classes, else one per class (softmax).
    out_activation_ : {"logistic", "softmax"}
        The output layer.

    Notes
    -----
    The loss minimised over a mini-batch of size :math:`m` is

    .. math::

        J = \frac1m \sum_{i=1}^m \ell(y_i, \hat y_i)
            + \frac{\alpha}{2m} \sum_l \lVert W_l \rVert_F^2

    with :math:`\ell` the binary cross-entropy of a sigmoid output for two
    classes and the categorical cross-entropy of a softmax output for more,
    so each step adds :math:`\alpha W_l / m` to :math:`\partial J/\partial W_l`
    (biases are not penalised): the scaling scikit-learn uses.

    Differences from scikit-learn's ``MLPClassifier``:

    - ``warm_start=True`` keeps the optimizer state (Adam's moments, the update
      count ``t`` that drives bias correction, the momentum buffer) across
      ``fit`` calls, so that two fits of 10 epochs continue exactly like one
      of 20 (given the same shuffles). scikit-learn builds a fresh optimizer at
      each ``fit``, restarting Adam's bias correction; both keep the weights.
      ``partial_fit`` keeps the state in both libraries. A state whose slots do
      not fit the current ``solver`` (left by another solver) is replaced by a
      fresh one; hyperparameters such as ``learning_rate_init`` are read anew
      at each call.
    - The updates are descend's: Adam adds ε to :math:`\sqrt{\hat s}` (PyTorch's
      form; scikit-learn adds it to :math:`\sqrt s` before bias correction),
      "momentum" is the exponentially weighted average
      :math:`v = \beta v + (1-\beta)\,dW` (scikit-learn keeps α in the buffer
      and uses Nesterov's form by default), and "sgd" is plain gradient
      descent, without scikit-learn's default momentum of 0.9.
    - No "lbfgs" solver, no ``learning_rate`` schedules, ``power_t``,
      ``nesterovs_momentum``, ``max_fun`` or ``sample_weight``; no multi-label targets.

    The starting weights are drawn exactly as scikit-learn draws them (Glorot
    uniform), so the same ``random_state`` starts both from the same network.

    Examples
    --------
    >>> from descend.datasets import moons
    >>> X, y = moons(200, rng=0)
    >>> clf = MLPClassifier((16,), learning_rate_init=0.03, n_iter_no_change=50, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        hidden_layer_sizes: int | tuple[int, ...] = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        backend: str = "auto",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.backend = backend

    # -- hyperparameters ------------------------------------------------------
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        if not isinstance(sizes, Iterable) or isinstance(sizes, str):
            raise TypeError(f"hidden_layer_sizes must be an int or a tuple of ints, got {sizes!r}")
        sizes = list(sizes)
        for n in sizes:
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
                raise ValueError(f"hidden_layer_sizes must hold ints >= 1, got {sizes}")
        return [int(n) for n in sizes]

    def _check_params(self) -> None:
        """Validate the hyperparameters (at fit time, as scikit-learn does)."""
        self._hidden_sizes()
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"Invalid activation: {self.activation!r} "
                f"(expected one of {', '.join(ACTIVATIONS)})"
            )
        if self.solver not in available_solvers():
            raise ValueError(
                f"Invalid solver: {self.solver!r} (expected one of "
                f"{', '.join(available_solvers())})"
            )
        check_positive("alpha", self.alpha, allow_zero=True)
        if self.batch_size != "auto":
            check_int("batch_size", self.batch_size, 1)
        check_positive("learning_rate_init", self.learning_rate_init)
        check_int("max_iter", self.max_iter, 1)
        if self.n_iter_no_change != np.inf:
            check_int("n_iter_no_change", self.n_iter_no_change, 1)
        check_positive("tol", self.tol, allow_zero=True)
        for flag in ("shuffle", "warm_start", "early_stopping"):
            check_bool(flag, getattr(self, flag))
        if not isinstance(self.verbose, bool | np.bool_):
            check_int("verbose", self.verbose, 0)  # scikit-learn takes levels: verbose=10
        if self.backend not in training.BACKENDS:
            choices = ", ".join(training.BACKENDS)
            raise ValueError(f"Invalid backend: {self.backend!r} (expected one of {choices})")
        check_range("validation_fraction", self.validation_fraction, 0.0, 1.0, low_open=True)
        check_range("momentum", self.momentum, 0.0, 1.0)
        check_range("beta_1", self.beta_1, 0.0, 1.0)
        check_range("beta_2", self.beta_2, 0.0, 1.0)
        check_positive("epsilon", self.epsilon)

    def _make_optimizer(self) -> Optimizer:
        """Build the descend optimizer named by ``solver`` from this estimator's parameters."""
        name = SOLVER_ALIASES.get(self.solver, self.solver)
        options = {
            keyword: getattr(self, param)
            for param, keyword in SOLVER_HYPERPARAMETERS.get(name, {}).items()
        }
        return registry.make_optimizer(name, self.learning_rate_init, **options)

    # -- data -----------------------------------------------------------------
    def _targets(self, y: np.ndarray, dtype) -> np.ndarray:
        """Labels -> descend's column targets: ``(1, n)`` 0/1 for two classes, else one-hot."""
        unknown = np.setdiff1d(unique_labels(y), self.classes_)
        if unknown.size:
            raise ValueError(
                f"y has classes {unknown.tolist()} not in classes_ {self.classes_.tolist()}"
            )
        index = np.searchsorted(self.classes_, y)
        if self.classes_.size == 2:
            return index[np.newaxis, :].astype(dtype)
        return (np.arange(self.classes_.size)[:, np.newaxis] == index).astype(dtype)

    def _validate(self, X, y, *, reset: bool):
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=reset)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {kind} targets are not supported")
        return X, y

    def _set_classes(self, classes: np.ndarray) -> None:
        classes = unique_labels(classes)
        if classes.size < 2:
            # scikit-learn's wording (LogisticRegression, LinearSVC) for the same problem
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but the data "
                f"contains only one class: {classes[0].item()!r}"
            )
        self.classes_ = classes

    # -- training -------------------------------------------------------------
    def _initialize(self, n_features: int, dtype) -> None:
        n_classes = self.classes_.size
        self.n_outputs_ = 1 if n_classes == 2 else n_classes
        self.out_activation_ = "logistic" if n_classes == 2 else "softmax"
        layer_units = [n_features, *self._hidden_sizes(), self.n_outputs_]
        self.n_layers_ = len(layer_units)
        self.params_ = _glorot_uniform(layer_units, self.activation, self._random_state, dtype)
        self._opt_state = None
        self._train_params = self.params_
        self.t_ = 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _fit(self, X, y, *, incremental: bool) -> MLPClassifier:
        self._check_params()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not hasattr(self, "params_") or (not self.warm_start and not incremental)
        X, y = self._validate(X, y, reset=first_pass)
        if first_pass and not incremental:
            self._set_classes(y)
        elif self.warm_start and not incremental and set(unique_labels(y)) != set(self.classes_):
            raise ValueError(
                "warm_start can only be used where y has the same classes as in the "
                f"previous call to fit: previously {self.classes_.tolist()}, "
                f"now {unique_labels(y).tolist()}"
            )
        Y = self._targets(y, X.dtype)
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(X.shape[1], X.dtype)
        else:
            train = getattr(self, "_train_params", self.params_)  # where training left off (#13)
            self.params_ = {k: w.astype(X.dtype, copy=False) for k, w in train.items()}
            if self.early_stopping and self.validation_scores_ is None:
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            if not self.early_stopping and self.best_loss_ is None:
                self.best_loss_ = np.inf

        optimizer = self._make_optimizer()
        state = self._opt_state
        if state is None:
            state = optimizer.init(self.params_)
        else:  # the kept state in X's dtype; a state of other slots starts afresh
            try:
                state = optimizer.load_state_dict(self.params_, optimizer.state_dict(state))
            except (TypeError, ValueError):
                state = optimizer.init(self.params_)

        if self.early_stopping:
            X_train, X_val, Y_train, y_val = self._early_stopping_split(X, Y, y)
        else:
            X_train, Y_train, X_val, y_val = X, Y, None, None

        n_samples = X_train.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    f"batch_size {self.batch_size} is larger than the {n_samples} training "
                    "examples; it is clipped to the number of examples",
                    UserWarning,
                    stacklevel=3,
                )
            batch_size = min(self.batch_size, n_samples)

        stopper = self._stopper(X_val, y_val)
        # Schedule-Free scores and predicts at optimizer.eval_params (#13)
        trainer, evaluation_point = training.evaluation_view(optimizer, state)
        order = [np.arange(n_samples)]

        def shuffle(_epoch: int) -> np.ndarray:  # each epoch reshuffles the last order, as sklearn
            order[0] = shuffle_indices(order[0], random_state=self._random_state)
            return order[0]

        def report(_epoch: int, loss: float, params: Params) -> bool:
            if self.verbose:
                print(f"Iteration {len(self.loss_curve_) + 1}, loss = {loss:.8f}")
            self.loss_curve_.append(loss)
            stop = stopper(_epoch, loss, evaluation_point(params))
            if self.verbose and self.early_stopping:
                print(f"Validation score: {stopper.scores[-1]:f}")
            return stop

        self.params_, state, history = training.train(
            self.params_,
            trainer,
            MiniBatches(X_train.T, Y_train, batch_size, shuffle=shuffle if self.shuffle else False),
            1 if incremental else self.max_iter,
            gradients=network_gradients(self.activation, l2=self.alpha),
            state=state,
            callback=report,
            backend=self.backend,
        )
        self._opt_state = state
        self._train_params = self.params_  # warm_start and partial_fit continue from here
        self.params_ = optimizer.eval_params(self.params_, state)
        self.backend_, self.backend_reason_ = history.backend, history.reason
        self.n_iter_ = len(history.costs)
        self.t_ += n_samples * self.n_iter_
        self.loss_ = self.loss_curve_[-1]
        self._keep_stopper(stopper)
        if stopper.count > self.n_iter_no_change:
            if self.verbose:
                print(self._stopping_message())
        elif not incremental:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if self.early_stopping:
            self.params_ = self._best_params
        return self

    def _stopper(self, X_val, y_val) -> EarlyStopping:
        """The no-improvement rule, continuing from the counters of earlier calls."""
        if self.early_stopping:
            return EarlyStopping(
                self.n_iter_no_change,
                self.tol,
                score=lambda params: float(np.mean(self._predict(X_val, params) == y_val)),
                best_score=self.best_validation_score_,
                best_params=getattr(self, "_best_params", None),
                count=self._no_improvement_count,
            )
        return EarlyStopping(
            self.n_iter_no_change,
            self.tol,
            best_score=-self.best_loss_,
            count=self._no_improvement_count,
        )

    def _keep_stopper(self, stopper: EarlyStopping) -> None:
        """Store the rule's counters as scikit-learn's attributes."""
        self._no_improvement_count = stopper.count
        if self.early_stopping:
            self.validation_scores_.extend(stopper.scores)
            self.best_validation_score_ = stopper.best_score
            self._best_params = stopper.best_params
        else:
            self.best_loss_ = -stopper.best_score

    def _early_stopping_split(self, X, Y, y):
        """Hold out ``validation_fraction`` of the rows, stratified, as scikit-learn does.

        For two classes scikit-learn stratifies on its binarised labels, the
        strings "True" (``classes_[1]``) and "False", and so does descend: the same
        split and the same messages when it is too small (with the counts and
        the classes appended). More classes are stratified on the labels (where
        scikit-learn does not stratify). Either way a validation set of fewer than
        two examples, or of fewer examples than classes, gets scikit-learn's
        "The validation set is too small" message.
        """
        n, n_classes = X.shape[0], self.classes_.size
        n_val = math.ceil(self.validation_fraction * n)
        counts = f"{n} examples, validation_fraction={self.validation_fraction}"
        binary = n_classes == 2
        if not binary and (n_val < n_classes or n - n_val < n_classes):
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                f"of your dataset. ({counts}, {n_classes} classes)"
            )
        strata = np.where(y == self.classes_[1], "True", "False") if binary else y
        try:
            index_train, index_val = train_test_split(
                np.arange(n),
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=strata,
            )
        except ValueError as err:
            if binary:
                true, false = self.classes_[1].item(), self.classes_[0].item()
                counts += f"; 'True' is class {true!r}, 'False' class {false!r}"
            raise ValueError(f"{err} ({counts})") from None
        if index_val.size < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                f"of your dataset. ({counts})"
            )
        return X[index_train], X[index_val], Y[:, index_train], y[index_val]

    def _stopping_message(self) -> str:
        what = "Validation score" if self.early_stopping else "Training loss"
        return (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs. Stopping."
        )

    # -- public API -----------------------------------------------------------
    def fit(self, X, y) -> MLPClassifier:
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,).

        Starts from new random weights and a fresh optimizer state unless
        ``warm_start`` is set and the estimator is fitted, in which case both
        carry over. Runs up to ``max_iter`` epochs; warns with a
        ``ConvergenceWarning`` when they are all used.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None) -> MLPClassifier:
        """Run one epoch on ``X``, ``y``, keeping weights and optimizer state.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,)
        classes : array-like, optional
            Every class that any call will show; required on the first call
            (``y`` need not contain them all), and must not change afterwards.
        """
        if not hasattr(self, "classes_") or not hasattr(self, "params_"):
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            self._set_classes(np.asarray(classes))
        elif classes is not None and not np.array_equal(self.classes_, unique_labels(classes)):
            raise ValueError(
                f"`classes={unique_labels(classes).tolist()}` is not the same as on the "
                f"last call to partial_fit, was: {self.classes_.tolist()}"
            )
        return self._fit(X, y, incremental=True)

    def _forward_proba(self, X: np.ndarray, params: Params | None = None) -> np.ndarray:
        """Class probabilities of validated rows ``X``, shape (n_samples, n_classes)."""
        softmax = self.out_activation_ == "softmax"
        params = self.params_ if params is None else params
        params = {k: w.astype(X.dtype, copy=False) for k, w in params.items()}
        out, _ = forward(X.T, params, self.activation, softmax=softmax)
        if softmax:
            return out.T
        return np.column_stack([1 - out[0], out[0]])

    def _predict(self, X: np.ndarray, params: Params | None = None) -> np.ndarray:
        return self.classes_[np.argmax(self._forward_proba(X, params), axis=1)]

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class (columns in the order of ``classes_``); rows sum to 1."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self._forward_proba(X)

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row of ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self._predict(X)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weights in scikit-learn's layout: ``coefs_[i].shape == (n_i, n_{i+1})``."""
        check_is_fitted(self, "params_")
        return [self.params_[f"W{l}"].T for l in range(1, self.n_layers_)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Biases in scikit-learn's layout: 1-D arrays."""
        check_is_fitted(self, "params_")
        return [self.params_[f"b{l}"][:, 0] for l in range(1, self.n_layers_)]
