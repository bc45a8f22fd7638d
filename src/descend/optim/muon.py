"""Muon: momentum orthogonalised by a Newton–Schulz iteration, for 2-D weights."""

from __future__ import annotations

import math

import numpy as np

from .base import LearningRate, Optimizer
from .checks import check_bool, check_int, check_positive, check_range

__all__ = ["Muon", "newton_schulz"]

#: Keller Jordan's quintic coefficients (a, b, c), as PyTorch and Optax.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
_CONVENTIONS = ("torch", "optax")


def newton_schulz(
    u: np.ndarray,
    coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    steps: int = 5,
    epsilon: float = 1e-7,
    *,
    epsilon_added: bool = False,
) -> np.ndarray:
    r"""The approximate orthogonalisation :math:`\mathrm{NS}(U) \approx U V^\top` of a matrix.

    .. math::

        X_0 = U / \max(\lVert U \rVert_F, \varepsilon), \qquad
        A = X X^\top, \quad X \leftarrow a X + (b A + c A^2) X \quad (\text{steps times})

    computed on the wide orientation (``U`` is transposed first when it has
    more rows than columns, and back after). With ``epsilon_added`` the first
    division is by :math:`\lVert U \rVert_F + \varepsilon` (Optax) instead of
    the clamp (PyTorch). The quintic's coefficients push every singular value
    towards about 1 (to within roughly [0.7, 1.2] after 5 steps), not exactly 1.

    Examples
    --------
    >>> x = newton_schulz(np.array([[3.0, 0.0], [0.0, 0.1]]))
    >>> bool(0.6 < x[0, 0] < 1.3 and 0.6 < x[1, 1] < 1.3)
    True
    """
    a, b, c = coefficients
    tall = u.shape[0] > u.shape[1]
    x = u.T if tall else u
    norm = float(np.linalg.norm(x))
    x = x / (norm + epsilon if epsilon_added else max(norm, epsilon))
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * (gram @ gram)) @ x
    return x.T if tall else x


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024): the momentum of a 2-D weight, orthogonalised.

    For each 2-D array ``W`` (rows × columns) with gradient ``dW``, in the
    PyTorch convention (default):

    .. math::

        v &\leftarrow \mu v + (1-\mu)\, dW \\
        u &= (1-\mu)\, dW + \mu v \ \text{(Nesterov, default)} \quad\text{or}\quad u = v \\
        O &= \mathrm{NS}(u) \quad \text{(see :func:`newton_schulz`)} \\
        W &\leftarrow W (1 - \alpha\lambda) - \alpha\, s\, O

    with the shape factor :math:`s = \sqrt{\max(1, \text{rows}/\text{columns})}`
    (Keller Jordan's), or :math:`s = r\sqrt{\max(\text{rows}, \text{columns})}`
    with ``consistent_rms=r`` (Moonshot's; ``r = 0.2`` matches AdamW's update
    RMS, so one learning rate serves Muon and AdamW). ``v`` is an exponential
    average (PyTorch's ``buf.lerp_(grad, 1 - momentum)``), not a trace.

    ``convention="optax"`` is ``optax.contrib.muon``'s rule for its 2-D
    parameters: the momentum is bias-corrected (Nesterov:
    :math:`u = \mu\, v/(1-\mu^{t+1}) + (1-\mu)\, dW/(1-\mu^t)`, else
    :math:`u = v/(1-\mu^t)`), the norm is divided by :math:`\lVert u\rVert_F + \varepsilon`,
    and Optax reads ``W`` as ``x @ W`` (rows are inputs), so its shape factor is
    :math:`\sqrt{\max(1, \text{columns}/\text{rows})}`.

    Parameters
    ----------
    learning_rate : float or callable, default 0.001
        α > 0, or a schedule of the number of updates already applied.
    momentum : float, default 0.95
        μ, ``0 <= momentum < 1``.
    nesterov : bool, default True
        Orthogonalise the Nesterov look-ahead instead of ``v``.
    weight_decay : float, default 0.1
        λ >= 0, decoupled: ``W *= 1 - α·λ`` (PyTorch's default 0.1; Optax's 0).
    epsilon : float, default 1e-7
        ε > 0 of the normalisation before the iteration.
    ns_coefficients : tuple of 3 floats, default (3.4445, -4.7750, 2.0315)
        ``(a, b, c)`` of the quintic iteration.
    ns_steps : int, default 5
        Iterations of Newton–Schulz, ``1 <= ns_steps < 100``.
    consistent_rms : float, optional
        ``r > 0``: the shape factor ``r·sqrt(max(rows, columns))`` (PyTorch
        ``adjust_lr_fn="match_rms_adamw"`` is ``r = 0.2``).
    convention : {"torch", "optax"}
        Whose formula (see above); :meth:`torch` and :meth:`optax` choose it.
    **options
        ``clip_norm``, ``clip_value``, ``on_nonfinite``: see :class:`Optimizer`.

    Notes
    -----
    Muon is for the 2-D weights of hidden layers: every parameter it is given
    must be a 2-D array (``ValueError`` names the first that is not). Biases
    and other arrays need another rule: :class:`~descend.optim.Partition` (the
    registry's ``"muon"`` is Muon for 2-D ``W*`` and AdamW for the rest).
    PyTorch runs the iteration in bfloat16; descend runs it in the parameters'
    dtype (float64 agrees with PyTorch's formula run in float64 to 1e-10; the
    bfloat16 run differs by the rounding of bfloat16, about 1e-2 of a step).
    References: https://kellerjordan.github.io/posts/muon/,
    ``torch.optim.Muon`` (2.13), ``optax.contrib.muon``,
    Liu et al. 2025 https://arxiv.org/abs/2502.16982.

    Examples
    --------
    >>> opt = Muon(0.1, weight_decay=0.0)
    >>> params = {"W": np.array([[1.0, 0.0], [0.0, 1.0]])}
    >>> state = opt.init(params)
    >>> params, state = opt.step(params, {"W": np.array([[2.0, 0.0], [0.0, 0.5]])}, state)
    >>> bool(np.all(np.diag(params["W"]) < 1.0))
    True
    """

    kind = "muon"
    slots = ("v",)

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        momentum: float = 0.95,
        *,
        nesterov: bool = True,
        weight_decay: float = 0.1,
        epsilon: float = 1e-7,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        ns_steps: int = 5,
        consistent_rms: float | None = None,
        convention: str = "torch",
        **options,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.momentum = check_range("momentum", momentum, 0.0, 1.0)
        self.nesterov = check_bool("nesterov", nesterov)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
        self.epsilon = check_positive("epsilon", epsilon)
        if not (isinstance(ns_coefficients, tuple | list) and len(ns_coefficients) == 3):
            raise ValueError(f"Invalid ns_coefficients: {ns_coefficients!r} (expected (a, b, c))")
        self.ns_coefficients = tuple(
            check_range(f"ns_coefficients[{i}]", c, -1e6, 1e6)
            for i, c in enumerate(ns_coefficients)
        )
        self.ns_steps = check_int("ns_steps", ns_steps, 1)
        if self.ns_steps >= 100:
            raise ValueError(f"Invalid ns_steps: {ns_steps} (expected 1 <= ns_steps < 100)")
        self.consistent_rms = (
            None if consistent_rms is None else check_positive("consistent_rms", consistent_rms)
        )
        if convention not in _CONVENTIONS:
            raise ValueError(f"Invalid convention: {convention!r} (expected one of {_CONVENTIONS})")
        self.convention = convention

    def init(self, params):
        for name, w in params.items() if isinstance(params, dict) else ():
            if isinstance(w, np.ndarray) and w.ndim != 2:
                raise ValueError(
                    f"Muon updates 2-D arrays only, but params[{name!r}] has shape {w.shape}; "
                    "give other arrays another rule with descend.Partition"
                )
        return super().init(params)

    def shape_factor(self, shape: tuple[int, int]) -> float:
        """``s`` of the update: the width scaling of the convention, or ``consistent_rms``."""
        rows, cols = shape
        if self.consistent_rms is not None:
            return self.consistent_rms * math.sqrt(max(rows, cols))
        if self.convention == "optax":
            return math.sqrt(max(1.0, cols / rows))
        return math.sqrt(max(1.0, rows / cols))

    def update(self, w, g, v, *, t, learning_rate):
        if w.ndim != 2:
            raise ValueError(f"Muon updates 2-D arrays only, got shape {w.shape}")
        mu = self.momentum
        v = mu * v + (1.0 - mu) * g
        if self.convention == "optax":
            if self.nesterov:
                u = mu * (v / (1.0 - mu ** (t + 1))) + (1.0 - mu) * (g / (1.0 - mu**t))
            else:
                u = v / (1.0 - mu**t)
        else:
            u = (1.0 - mu) * g + mu * v if self.nesterov else v
        o = newton_schulz(
            u,
            self.ns_coefficients,
            self.ns_steps,
            self.epsilon,
            epsilon_added=self.convention == "optax",
        )
        w = w * (1.0 - learning_rate * self.weight_decay) if self.weight_decay else w
        return w - (learning_rate * self.shape_factor(w.shape)) * o, v

    @classmethod
    def torch(
        cls,
        lr: LearningRate = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
        **options,
    ) -> Muon:
        """The equivalent of ``torch.optim.Muon(params, **same arguments)`` (2.13), in float64.

        ``adjust_lr_fn``: ``None`` or ``"original"`` (width scaling) or
        ``"match_rms_adamw"`` (``consistent_rms=0.2``).

        >>> Muon.torch(lr=0.02, adjust_lr_fn="match_rms_adamw").consistent_rms
        0.2
        """
        if adjust_lr_fn not in (None, "original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        return cls(
            lr,
            momentum,
            nesterov=nesterov,
            weight_decay=weight_decay,
            epsilon=eps,
            ns_coefficients=tuple(ns_coefficients),
            ns_steps=ns_steps,
            consistent_rms=0.2 if adjust_lr_fn == "match_rms_adamw" else None,
            **options,
        )

    @classmethod
    def optax(
        cls,
        learning_rate: LearningRate,
        ns_coeffs: tuple[float, float, float] = NS_COEFFICIENTS,
        ns_steps: int = 5,
        beta: float = 0.95,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        nesterov: bool = True,
        consistent_rms: float | None = None,
        **options,
    ) -> Muon:
        """The 2-D part of ``optax.contrib.muon(learning_rate, **same arguments)`` (0.2.8).

        Optax sends the other arrays to ``adamw(nesterov=True)``; give those a
        rule of their own with :class:`~descend.optim.Partition`. Only the
        default ``preconditioning="frobenius"``, ``adaptive=False`` and a single
        triple of coefficients are offered.

        >>> Muon.optax(0.02).convention
        'optax'
        """
        return cls(
            learning_rate,
            beta,
            nesterov=nesterov,
            weight_decay=weight_decay,
            epsilon=eps,
            ns_coefficients=tuple(ns_coeffs),
            ns_steps=ns_steps,
            consistent_rms=consistent_rms,
            convention="optax",
            **options,
        )
