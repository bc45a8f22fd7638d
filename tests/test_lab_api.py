"""The lab's JSON API through Starlette's test client, and a live server under load."""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from descend import surfaces
from descend.lab import MAX_OPTIMIZERS, MAX_STEPS, Lab, create_app, custom_surface
from descend.optim import Adam, Momentum
from descend.registry import NAMES, make_optimizer

pytest.importorskip("starlette", reason="the lab extra is not installed")
TestClient = pytest.importorskip("starlette.testclient", reason="needs httpx2").TestClient
MAX_BODY = pytest.importorskip("descend.lab.server").MAX_BODY


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def gd(rate=0.1, **more):
    return {"name": "gd", "learning_rate": rate, **more}


# -- what the page reads ------------------------------------------------------------------------
def test_optimizers_lists_every_registered_name_with_settings_and_ranges(client):
    data = client.get("/api/optimizers").json()
    specs = {s["name"]: s for s in data["optimizers"]}
    assert list(specs) == list(NAMES)
    assert data["limits"] == {
        "max_steps": MAX_STEPS,
        "max_optimizers": MAX_OPTIMIZERS,
        "max_body": MAX_BODY,
    }
    adam = {p["name"]: p for p in specs["adam"]["parameters"]}
    assert adam["beta1"] == {
        "name": "beta1",
        "symbol": "β1",
        "type": "float",
        "default": 0.9,
        "min": 0.0,
        "max": 0.999,
        "scale": "linear",
    }
    assert adam["amsgrad"]["type"] == "bool"
    assert "amsgrad" not in {p["name"] for p in specs["amsgrad"]["parameters"]}  # fixed by name
    assert {"beta", "epsilon"} <= {p["name"] for p in specs["rmsprop"]["parameters"]}
    assert specs["adamw"]["learning_rate"]["scale"] == "log"
    assert specs["momentum"]["slots"] == ["v"]


def test_a_new_registry_name_appears_without_lab_changes(monkeypatch):
    from descend import registry
    from descend.lab import specs

    monkeypatch.setattr(registry, "_TABLE", {**registry._TABLE, "heavy": ("Momentum", {})})
    monkeypatch.setattr(specs, "NAMES", (*registry.NAMES, "heavy"))
    monkeypatch.setattr(registry, "NAMES", (*registry.NAMES, "heavy"))
    specs.optimizer_specs.cache_clear()
    try:
        found = {s["name"]: s for s in specs.optimizer_specs()}
        assert [p["name"] for p in found["heavy"]["parameters"]] == ["beta", "nesterov"]
    finally:
        specs.optimizer_specs.cache_clear()


def test_surfaces_lists_the_five_with_the_quadratics_condition(client):
    found = {s["name"]: s for s in client.get("/api/surfaces").json()["surfaces"]}
    assert set(found) == {"quadratic", "rosenbrock", "logistic", "saddle", "camel"}
    assert found["quadratic"]["parameters"][0]["name"] == "condition"
    assert found["logistic"]["n_examples"] == 569
    assert found["saddle"]["learning_rates"]["adam"] == 0.05


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "saddle", "camel"])
def test_surface_grid_is_the_surfaces_loss(client, name):
    data = client.get("/api/surface", params={"name": name}).json()
    surface = surfaces.get_surface(name)
    z = np.array(data["z"]).reshape(data["ny"], data["nx"])
    x0, _, y0, y1 = surface.extent
    assert z[0, 0] == pytest.approx(surface.loss(np.array([x0, y0])), rel=1e-4)
    assert z[-1, 0] == pytest.approx(surface.loss(np.array([x0, y1])), rel=1e-4)
    assert data["levels"] == sorted(data["levels"])
    assert data["contours"] and all(len(c["points"]) >= 2 for c in data["contours"])


def test_surface_takes_the_condition_number(client):
    data = client.get("/api/surface", params={"name": "quadratic", "condition": "100"}).json()
    assert data["title"] == "Quadratic bowl, condition number 100"


# -- runs -------------------------------------------------------------------------------------
def test_run_paths_equal_run_path_of_the_surfaces_module(client):
    result = client.post(
        "/api/run",
        json={"surface": "rosenbrock", "steps": 50, "optimizers": [gd(2e-3), {"name": "adam"}]},
    ).json()
    surface = surfaces.get_surface("rosenbrock")
    for run, name, rate in zip(result["runs"], ["gd", "adam"], [2e-3, 0.02], strict=True):
        expected = surfaces.run_path(surface, make_optimizer(name, rate), 50)
        np.testing.assert_array_equal(np.array(run["path"]), expected)
        assert run["loss"] == [surface.loss(p) for p in expected]
        assert run["settings"]["learning_rate"] == rate  # the surface's tuned rate by default


def test_mini_batches_are_drawn_as_run_path_draws_them(client):
    body = {
        "surface": "logistic",
        "steps": 40,
        "batch_size": 16,
        "seed": 3,
        "optimizers": [gd(0.5)],
    }
    run = client.post("/api/run", json=body).json()["runs"][0]
    surface = surfaces.get_surface("logistic")
    noisy = surfaces.run_path(surface, make_optimizer("gd", 0.5), 40, batch_size=16, seed=3)
    full = surfaces.run_path(surface, make_optimizer("gd", 0.5), 40)
    np.testing.assert_array_equal(np.array(run["path"]), noisy)
    np.testing.assert_array_equal(np.array(run["full_batch"]["path"]), full)
    assert run["loss"][-1] == surface.loss(noisy[-1])  # the loss on all the data


def test_batch_size_of_every_example_is_batch_gd(client):
    body = {"surface": "logistic", "steps": 5, "batch_size": 569, "optimizers": [gd(0.5)]}
    result = client.post("/api/run", json=body).json()
    assert result["batch_size"] is None
    assert "full_batch" not in result["runs"][0]


def test_internals_are_the_optimizers_own_state(client):
    body = {"surface": "saddle", "steps": 30, "optimizers": [{"name": "momentum", "beta": 0.8}]}
    run = client.post("/api/run", json=body).json()["runs"][0]
    surface = surfaces.get_surface("saddle")
    optimizer = Momentum(0.1, beta=0.8)
    params = {"p": np.array(surface.start)}
    state = optimizer.init(params)
    inner = run["internals"]
    for k in range(30):
        g = surface.grad(params["p"])
        new, state = optimizer.step(params, {"p": g}, state)
        assert inner["gradient"][k] == g.tolist()
        assert inner["slots"]["v"][k] == state["v"]["p"].tolist()
        assert inner["step"][k] == (new["p"] - params["p"]).tolist()
        assert inner["learning_rate"][k] == 0.1
        params = new
    assert inner["corrected"] == {}


def test_adam_internals_at_the_first_step_by_hand(client):
    # first update: v = (1-β1) g, s = (1-β2) g², v̂ = g, ŝ = g², step = -α g / (|g| + ε)
    body = {
        "surface": "quadratic",
        "steps": 1,
        "optimizers": [{"name": "adam", "learning_rate": 0.2, "beta1": 0.5, "beta2": 0.75}],
    }
    inner = client.post("/api/run", json=body).json()["runs"][0]["internals"]
    g = np.array([-4.0, 24.0])  # the gradient (x, 20 y) at the start (-4, 1.2)
    np.testing.assert_allclose(inner["gradient"][0], g)
    np.testing.assert_allclose(inner["slots"]["v"][0], 0.5 * g)
    np.testing.assert_allclose(inner["slots"]["s"][0], 0.25 * g * g)
    np.testing.assert_allclose(inner["corrected"]["v"][0], g)
    np.testing.assert_allclose(inner["corrected"]["s"][0], g * g)
    np.testing.assert_allclose(inner["step"][0], -0.2 * g / (np.abs(g) + 1e-8))


def test_amsgrad_internals_include_the_corrected_running_maximum(client):
    body = {"surface": "camel", "steps": 20, "optimizers": [{"name": "amsgrad"}]}
    inner = client.post("/api/run", json=body).json()["runs"][0]["internals"]
    assert set(inner["slots"]) == set(inner["corrected"]) == {"v", "s", "s_max"}
    t, beta2 = 20, Adam().beta2
    np.testing.assert_allclose(
        inner["corrected"]["s_max"][-1], np.array(inner["slots"]["s_max"][-1]) / (1 - beta2**t)
    )


def test_internals_can_be_left_out(client):
    body = {"steps": 10, "internals": False, "optimizers": [gd()]}
    assert "internals" not in client.post("/api/run", json=body).json()["runs"][0]


def test_a_diverging_run_stops_and_says_where(client):
    body = {"steps": 400, "optimizers": [gd(0.2), gd(0.05)]}  # 0.2 > 2/κ = 0.1
    result = client.post("/api/run", json=body).json()
    bad, good = result["runs"]
    assert bad["stopped"]["step"] == len(bad["path"]) <= 400
    assert "left the plane" in bad["stopped"]["reason"] or "overflow" in bad["stopped"]["reason"]
    assert all(math.isfinite(v) for v in bad["loss"])
    assert good["stopped"] is None and len(good["path"]) == 401


def test_start_and_defaults(client):
    result = client.post("/api/run", json={"start": [1.0, -0.5], "optimizers": [gd()]}).json()
    assert result["runs"][0]["path"][0] == [1.0, -0.5]
    assert result["steps"] == surfaces.quadratic().steps
    assert result["minimum_loss"] == 0.0


def test_settings_report_every_value_the_optimizer_holds(client):
    body = {"steps": 2, "optimizers": [{"name": "nesterov", "learning_rate": 0.05, "beta": 0.5}]}
    run = client.post("/api/run", json=body).json()["runs"][0]
    assert run["name"] == "nesterov"
    assert run["class"] == "Momentum"
    assert run["settings"] == {"learning_rate": 0.05, "beta": 0.5, "nesterov": True}


def test_custom_objective_from_python():
    objective = custom_surface(
        lambda p: float((p[0] - 1) ** 2 + 2 * (p[1] + 0.5) ** 2),
        lambda p: np.array([2 * (p[0] - 1), 4 * (p[1] + 0.5)]),
        extent=(-2, 2, -2, 2),
        minimum=(1.0, -0.5),
    )
    with TestClient(create_app(objective)) as c:
        names = [s["name"] for s in c.get("/api/surfaces").json()["surfaces"]]
        assert names[0] == "custom"
        grid = c.get("/api/surface", params={"name": "custom"}).json()
        assert grid["z"][0] == pytest.approx(9 + 2 * 1.5**2)
        result = c.post("/api/run", json={"surface": "custom", "optimizers": [gd()]}).json()
        assert result["runs"][0]["path"][-1] == pytest.approx([1.0, -0.5], abs=1e-6)
        assert result["minimum_loss"] == 0.0


def test_custom_objective_as_a_pair_and_a_failing_one():
    def broken(p):
        raise ZeroDivisionError("oops")

    lab = Lab((lambda p: float(p @ p), lambda p: 2 * p))
    assert lab.run({"surface": "custom", "optimizers": [gd()]})["minimum_loss"] is None
    with pytest.raises(TypeError, match="objective must be"):
        Lab("x**2")
    with pytest.raises(ValueError, match="not finite at the start"):
        custom_surface(lambda p: math.inf, lambda p: p)
    failing = custom_surface(lambda p: 1.0, lambda p: broken(p) if p[0] > -1.4 else p + 1)
    with TestClient(create_app(failing), raise_server_exceptions=False) as c:
        response = c.post("/api/run", json={"surface": "custom", "optimizers": [gd(0.5)]})
        assert response.status_code == 500
        assert "ZeroDivisionError" in response.json()["error"]
        assert c.get("/api/surfaces").status_code == 200  # and it keeps serving


# -- bad requests: a 4xx naming the field -----------------------------------------------------
BAD = [
    ({"surface": "moon", "optimizers": [gd()]}, 422, "surface"),
    ({"surface": 3, "optimizers": [gd()]}, 422, "surface"),
    ({"optimizers": [{"name": "foo"}]}, 422, "optimizers[0].name"),
    ({"optimizers": [gd(), {"learning_rate": 1}]}, 422, "optimizers[1]"),
    ({"optimizers": ["gd"]}, 422, "optimizers[0]"),
    ({"optimizers": [gd(-0.1)]}, 422, "optimizers[0].learning_rate"),
    ({"optimizers": [gd(0)]}, 422, "optimizers[0].learning_rate"),
    ({"optimizers": [gd("0.1")]}, 422, "optimizers[0].learning_rate"),
    ({"optimizers": [gd(True)]}, 422, "optimizers[0].learning_rate"),
    ({"optimizers": [{"name": "momentum", "beta": 1.0}]}, 422, "optimizers[0].beta"),
    ({"optimizers": [{"name": "momentum", "beta": -0.5}]}, 422, "optimizers[0].beta"),
    ({"optimizers": [{"name": "adam", "beta2": 2}]}, 422, "optimizers[0].beta2"),
    ({"optimizers": [{"name": "adam", "epsilon": -1}]}, 422, "optimizers[0].epsilon"),
    ({"optimizers": [{"name": "adam", "amsgrad": 1}]}, 422, "optimizers[0].amsgrad"),
    (
        {"optimizers": [{"name": "adam", "epsilon_hat": True, "epsilon_inside_sqrt": True}]},
        422,
        "optimizers[0].epsilon_hat",
    ),
    ({"optimizers": [{"name": "gd", "beta": 0.9}]}, 422, "optimizers[0].beta"),
    ({"optimizers": [{"name": "nesterov", "nesterov": False}]}, 422, "optimizers[0].nesterov"),
    ({"optimizers": [{"name": "gd", "clip_norm": 1.0}]}, 422, "optimizers[0].clip_norm"),
    ({"optimizers": []}, 422, "optimizers"),
    ({"optimizers": [gd()] * (MAX_OPTIMIZERS + 1)}, 422, "optimizers"),
    ({"optimizers": {"name": "gd"}}, 422, "optimizers"),
    ({}, 422, "optimizers"),
    ({"steps": MAX_STEPS + 1, "optimizers": [gd()]}, 422, "steps"),
    ({"steps": 0, "optimizers": [gd()]}, 422, "steps"),
    ({"steps": 2.5, "optimizers": [gd()]}, 422, "steps"),
    ({"steps": True, "optimizers": [gd()]}, 422, "steps"),
    ({"seed": -1, "optimizers": [gd()]}, 422, "seed"),
    ({"start": [1.0], "optimizers": [gd()]}, 422, "start"),
    ({"start": ["a", 1.0], "optimizers": [gd()]}, 422, "start"),
    ({"start": [1e9, 0.0], "optimizers": [gd()]}, 422, "start"),
    ({"condition": 0.5, "optimizers": [gd()]}, 422, "condition"),
    ({"condition": 1e5, "optimizers": [gd()]}, 422, "condition"),
    ({"surface": "saddle", "condition": 10, "optimizers": [gd()]}, 422, "condition"),
    ({"batch_size": 8, "optimizers": [gd()]}, 422, "batch_size"),
    ({"surface": "logistic", "batch_size": 0, "optimizers": [gd()]}, 422, "batch_size"),
    ({"surface": "logistic", "batch_size": 570, "optimizers": [gd()]}, 422, "batch_size"),
    ({"internals": "yes", "optimizers": [gd()]}, 422, "internals"),
    ({"optimizer": [gd()]}, 422, "optimizer"),
    ([gd()], 422, None),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD)
def test_bad_run_requests_name_the_field(client, body, status, field):
    response = client.post("/api/run", json=body)
    assert response.status_code == status
    error = response.json()
    assert error["field"] == field
    assert error["error"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"optimizers": [{"name": "gd", "learning_rate": NaN}]}', "optimizers[0].learning_rate"),
        ('{"optimizers": [{"name": "adam", "beta1": NaN}]}', "optimizers[0].beta1"),
        (
            '{"optimizers": [{"name": "gd", "learning_rate": Infinity}]}',
            "optimizers[0].learning_rate",
        ),
        ('{"condition": -Infinity, "optimizers": [{"name": "gd"}]}', "condition"),
    ],
)
def test_nan_and_infinity_are_refused_by_field(client, text, field):
    response = client.post("/api/run", content=text)
    assert response.status_code == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize("text", ['{"optimizers": [', "", "not json", b"\xff\xfe"])
def test_malformed_json_is_400(client, text):
    response = client.post("/api/run", content=text)
    assert response.status_code == 400
    assert response.json()["field"] == "body"


def test_an_oversized_body_is_413_with_or_without_content_length(client):
    big = json.dumps({"optimizers": [gd()], "pad": "x" * MAX_BODY})
    response = client.post("/api/run", content=big)
    assert response.status_code == 413
    assert response.json()["field"] == "body"

    def chunks():  # streamed: no Content-Length to go by
        for _ in range(MAX_BODY // 1000 + 2):
            yield b" " * 1000

    response = client.post("/api/run", content=chunks())
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"name": "moon"}, "surface"),
        ({"name": "quadratic", "condition": "abc"}, "condition"),
        ({"name": "quadratic", "condition": "nan"}, "condition"),
        ({"name": "quadratic", "condition": "0"}, "condition"),
        ({"name": "logistic", "condition": "10"}, "condition"),
        ({"name": "quadratic", "foo": "1"}, "foo"),
    ],
)
def test_bad_surface_requests_name_the_field(client, params, field):
    response = client.get("/api/surface", params=params)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_unknown_paths_and_methods_are_json(client):
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/nothing").json() == {"error": "Not Found", "field": None}
    assert client.get("/api/run").status_code == 405
    assert client.get("/api/run").json()["field"] is None


def test_the_server_keeps_serving_after_bad_requests(client):
    for body, _, _ in BAD[:5]:
        client.post("/api/run", json=body)
    client.post("/api/run", content="{")
    response = client.post("/api/run", json={"steps": 3, "optimizers": [gd()]})
    assert response.status_code == 200


def test_a_foreign_host_header_is_refused():
    app = create_app(allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://attacker.example") as c:
        response = c.get("/api/optimizers")
        assert response.status_code == 400
        assert response.json()["field"] == "host"
    with TestClient(app, base_url="http://localhost:8765") as c:
        assert c.get("/api/optimizers").status_code == 200


def test_the_page_and_its_assets_are_served_from_the_package(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "descend lab" in page.text
    for asset in ["lab.js", "state.js", "draw.js", "panels.js", "lab.css"]:
        response = client.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        assert "http://" not in response.text and "https://" not in response.text  # nothing fetched
    assert client.get("/static/lab.js").headers["content-type"].startswith("text/javascript")


def test_import_descend_does_not_import_the_lab():
    import subprocess
    import sys

    code = "import sys, descend; print([m for m in sys.modules if m.startswith(LAB)])"
    code = code.replace("LAB", "('descend.lab', 'starlette', 'uvicorn')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- a live server: concurrent requests ---------------------------------------------------------
@pytest.fixture(scope="module")
def live_url():
    import uvicorn

    from descend.lab.server import listen

    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


def _post(url, body):
    """(status, JSON answer) of a POST, with the standard library only."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_concurrent_requests_each_get_their_own_answer(live_url):
    bodies = [
        {"surface": "quadratic", "steps": 300, "optimizers": [gd(0.05 + 0.001 * i)]}
        for i in range(6)
    ]
    bodies.append(
        {"surface": "logistic", "steps": 200, "batch_size": 4, "seed": 1, "optimizers": [gd(1.0)]}
    )
    bodies += [{"surface": "moon", "optimizers": [gd()]}, {"steps": -1, "optimizers": [gd()]}]
    lab = Lab()
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda body: _post(f"{live_url}/api/run", body), bodies))
    for body, (status, answer) in zip(bodies[:7], answers[:7], strict=True):
        assert status == 200
        assert answer["runs"][0]["path"] == lab.run(body)["runs"][0]["path"]
    assert [status for status, _ in answers[7:]] == [422, 422]
    assert [answer["field"] for _, answer in answers[7:]] == ["surface", "steps"]
    with urllib.request.urlopen(f"{live_url}/api/optimizers", timeout=10) as response:
        assert response.status == 200
