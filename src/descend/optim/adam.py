"""Adam: momentum on the gradient, RMS scaling by its square, bias correction."""

from __future__ import annotations

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_positive, check_range

__all__ = ["Adam", "adam_update"]


def adam_update(
    w: np.ndarray,
    g: np.ndarray,
    v: np.ndarray,
    s: np.ndarray,
    t: int,
    learning_rate: float,
    beta1: float,
    beta2: float,
    epsilon: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""One Adam step on one array; returns ``(new_w, new_v, new_s)``.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW \\
        s &\leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        \hat v &= v / (1-\beta_1^t), \qquad \hat s = s / (1-\beta_2^t) \\
        W &\leftarrow W - \alpha\, \hat v / (\sqrt{\hat s} + \varepsilon)

    ``t`` is the number of this update, 1 for the first. ε is added *outside*
    the square root, as in Kingma & Ba (2015), PyTorch and Optax.

    Examples
    --------
    The first step moves each weight by about α against its gradient's sign:

    >>> w, v, s = adam_update(np.array([1.0]), np.array([4.0]), np.zeros(1), np.zeros(1),
    ...                       t=1, learning_rate=0.1, beta1=0.9, beta2=0.999, epsilon=0.0)
    >>> w
    array([0.9])
    """
    v = beta1 * v + (1.0 - beta1) * g
    s = beta2 * s + (1.0 - beta2) * (g * g)
    v_hat = v / (1.0 - beta1**t)
    s_hat = s / (1.0 - beta2**t)
    return w - learning_rate * v_hat / (np.sqrt(s_hat) + epsilon), v, s


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) with bias correction.

    .. math::

        v &\leftarrow \beta_1 v + (1-\beta_1)\, dW, \qquad
        s \leftarrow \beta_2 s + (1-\beta_2)\, dW^2 \\
        W &\leftarrow W - \alpha\,
            \frac{v / (1-\beta_1^t)}{\sqrt{s / (1-\beta_2^t)} + \varepsilon}

    where ``t`` counts the updates, starting at 1; the state counts them itself.

    Parameters
    ----------
    learning_rate : float or callable, default 0.001
        α > 0, or a schedule of the number of updates already applied.
    beta1 : float, default 0.9
        Decay of the first-moment average ``v``, ``0 <= beta1 < 1``.
    beta2 : float, default 0.999
        Decay of the second-moment average ``s``, ``0 <= beta2 < 1``.
    epsilon : float, default 1e-8
        ε >= 0, added outside the square root.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    ε outside the root matches PyTorch ``Adam(eps=ε)`` and Optax
    ``adam(eps=ε)``. Keras and scikit-learn use the "ε-hat" form (ε added to
    ``√s`` before bias correction); Optax's ``eps_root`` puts ε inside the root.

    Examples
    --------
    >>> opt = Adam(learning_rate=0.1)
    >>> params = {"w": np.array([1.0, -1.0])}
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, {"w": np.array([3.0, -0.5])}, state)
    >>> np.round(params["w"], 6)
    array([ 0.9, -0.9])
    """

    kind = "adam"
    slots = ("v", "s")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta1 = check_range("beta1", beta1, 0.0, 1.0)
        self.beta2 = check_range("beta2", beta2, 0.0, 1.0)
        self.epsilon = check_positive("epsilon", epsilon, allow_zero=True)

    def update(self, w, g, v, s, *, t, learning_rate):
        return adam_update(w, g, v, s, t, learning_rate, self.beta1, self.beta2, self.epsilon)
