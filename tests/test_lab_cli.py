"""``descend lab`` on the command line: options, errors, and a real server process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from descend.cli import main

pytest.importorskip("starlette", reason="the lab extra is not installed")


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lab", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--no-browser"):
        assert option in out


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_a_bad_port_is_a_usage_error(port, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lab", "--port", port])
    assert exit_.value.code == 2
    assert "port" in capsys.readouterr().err


def test_a_port_in_use_is_an_error_naming_it(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["lab", "--port", str(port), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err


def test_without_the_lab_extra_the_error_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "descend.lab.server", None)  # as if starlette were missing
    assert main(["lab", "--no-browser"]) == 1
    assert "pip install 'descend[lab]'" in capsys.readouterr().err


def _start(*args: str, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "descend", "lab", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(60)
    if not lines or not lines[0].startswith("descend lab: http://"):
        process.kill()
        pytest.fail(f"descend lab did not start: {lines} {process.stderr.read()}")
    return process, lines[0].split()[2]


def test_a_real_server_binds_to_localhost_serves_and_stops_on_ctrl_c():
    process, url = _start("--no-browser")
    try:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=30) as page:
            assert "descend lab" in page.read().decode()
        with urllib.request.urlopen(url + "api/optimizers", timeout=30) as response:
            assert "gd" in [s["name"] for s in json.load(response)["optimizers"]]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_the_page_is_opened_in_the_browser(tmp_path):
    opened = tmp_path / "opened"
    # webbrowser runs $BROWSER with the URL in place of %s
    env = {**os.environ, "BROWSER": f"sh -c 'echo %s > {opened}'"}
    process, url = _start(env=env)
    try:
        deadline = time.monotonic() + 30
        while not (opened.exists() and opened.read_text().strip()):
            assert time.monotonic() < deadline, "no browser was opened"
            time.sleep(0.1)
        assert opened.read_text().strip() == url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
