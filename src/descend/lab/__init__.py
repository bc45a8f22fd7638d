"""``descend lab``: a web page where learners watch descend's update rules work.

The page shows optimizer paths over the contours of a two-parameter loss, the
loss against the step, the theoretical rates on the quadratic, and the state
of each optimizer at each step. It holds no update rule: every number comes
from this package's server, which runs descend's own optimizers.

>>> from descend.lab import Lab
>>> result = Lab().run({"surface": "quadratic", "steps": 3,
...                     "optimizers": [{"name": "gd", "learning_rate": 0.1}]})
>>> result["runs"][0]["path"][1]  # (x, y) - 0.1 * (x, 20 y)
[-3.6, -1.2000000000000004]

- :class:`Lab` answers the JSON API with plain dicts (NumPy only);
- :func:`serve` and :func:`create_app` need the ``lab`` extra
  (``pip install 'descend[lab]'``: Starlette and uvicorn) and import it only
  when called, so ``import descend.lab`` stays light.
"""

from __future__ import annotations

from typing import Any

from .compute import MAX_OPTIMIZERS, MAX_STEPS, Lab, RequestError, custom_surface, trace
from .specs import optimizer_specs

__all__ = [
    "MAX_OPTIMIZERS",
    "MAX_STEPS",
    "Lab",
    "RequestError",
    "create_app",
    "custom_surface",
    "optimizer_specs",
    "serve",
    "trace",
]


def create_app(objective: Any = None, *, allowed_hosts: list[str] | None = None) -> Any:
    """The Starlette application of the lab; see :func:`descend.lab.server.create_app`."""
    from .server import create_app as create

    return create(objective, allowed_hosts=allowed_hosts)


def serve(objective: Any = None, **options: Any) -> None:
    """Serve the lab until Ctrl-C; see :func:`descend.lab.server.serve` for the options.

    ``objective`` adds your own two-parameter loss to the page's surfaces, as
    ``"custom"``: a pair ``(loss, grad)`` of callables of a point of shape (2,),
    or a surface made by :func:`custom_surface` (to choose its extent, start
    and minimum). It runs in this Python process; the browser sends only data.
    """
    from .server import serve as run_server

    run_server(objective, **options)
