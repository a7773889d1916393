"""`manage.py estimate` end to end, as the acceptance run sees it: a real process, a file or
standard input, JSON out, and for invalid input exit 2 with one `error: <path>: <problem>`
line (contract estimate.md, sections 1, 2 and 4).

Every run points DATABASE_URL at a PostgreSQL port nobody listens on: the command must never
touch a database. Each Django start costs a second or more, so the module starts ten
processes once, concurrently, and the tests read the results: the four worked examples go
through one batch (and again through standard input, which must give the same bytes), two of
them also alone.
"""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = Path(__file__).resolve().parent / "examples"
UNREACHABLE_DATABASE = "postgres://nobody@127.0.0.1:1/none"


def _example(number: int) -> dict:
    return json.loads((EXAMPLES / f"example-{number}.json").read_text())


def _expected(number: int) -> dict:
    return json.loads((EXAMPLES / f"example-{number}.expected.json").read_text())


@dataclass(frozen=True)
class Run:
    status: int
    stdout: bytes
    stderr: str


def _environment(database_url: str | None) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "coordinator.settings"
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return env


def _run(source: str, stdin: bytes = b"", database_url: str | None = UNREACHABLE_DATABASE):
    done = subprocess.run(
        [sys.executable, "manage.py", "estimate", source],
        cwd=ROOT,
        env=_environment(database_url),
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr.decode("utf-8", "replace"))


# The batch (in an order that is not the examples' numbering) and a batch whose second
# element is invalid (its crown has no fee, and there are no office fees).
BATCH_ORDER = (4, 1, 3, 2)
_broken = _example(1)
_broken["procedures"][1].pop("fee")  # the crown, D2740
BATCH_WITH_INVALID_ELEMENT = [_example(2), _broken, _example(3)]
_nan = json.dumps(_example(2)).replace('"percent": 50', '"percent": NaN', 1)
assert "NaN" in _nan


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    folder = tmp_path_factory.mktemp("estimate")
    batch = json.dumps([_example(n) for n in BATCH_ORDER]).encode()
    (folder / "batch.json").write_bytes(batch)
    jobs = {
        # Valid input.
        "example-2-stdin": lambda: _run("-", (EXAMPLES / "example-2.json").read_bytes()),
        "example-3-file-no-database-url": lambda: _run(
            str(EXAMPLES / "example-3.json"), database_url=None
        ),
        "batch-file": lambda: _run(str(folder / "batch.json")),
        "batch-stdin": lambda: _run("-", batch),
        # Invalid input.
        "empty-batch": lambda: _run("-", b"[]"),
        "not-json": lambda: _run("-", b'{"as_of": "2025-03-10", '),
        "nan": lambda: _run("-", _nan.encode()),
        "missing-file": lambda: _run(str(folder / "no-such-scenario.json")),
        "invalid-batch-element": lambda: _run("-", json.dumps(BATCH_WITH_INVALID_ELEMENT).encode()),
        "deeply-nested": lambda: _run("-", b"[" * 100_000 + b"]" * 100_000),
    }
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_no_run_ever_prints_a_traceback(runs):
    for name, run in runs.items():
        assert "Traceback" not in run.stderr, name
        assert run.status in (0, 1, 2), name
        if run.status != 0:  # one line on standard error, nothing on standard output
            assert run.stdout == b"", name
            assert len(run.stderr.splitlines()) == 1, (name, run.stderr)


@pytest.mark.parametrize(
    ("name", "number"),
    [("example-2-stdin", 2), ("example-3-file-no-database-url", 3)],
)
def test_a_single_scenario_gives_exactly_the_expected_json(runs, name, number):
    run = runs[name]
    assert (run.status, run.stderr) == (0, "")
    assert json.loads(run.stdout) == _expected(number)


def test_a_batch_of_the_four_worked_examples_gives_their_results_in_order(runs):
    run = runs["batch-file"]
    assert (run.status, run.stderr) == (0, "")
    results = json.loads(run.stdout)
    assert isinstance(results, list)
    assert [result["id"] for result in results] == [f"example-{n}" for n in BATCH_ORDER]
    for number, result in zip(BATCH_ORDER, results, strict=True):
        assert result == _expected(number)


def test_the_same_input_gives_the_same_bytes(runs):
    file_run, stdin_run = runs["batch-file"], runs["batch-stdin"]
    assert stdin_run.status == 0
    assert stdin_run.stdout == file_run.stdout


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty-batch", "error: $: "),
        ("not-json", "error: $: not valid JSON"),
        ("nan", "error: $: not valid JSON"),
        ("missing-file", "error: "),
        ("invalid-batch-element", "error: [1].procedures[1].fee: "),
    ],
)
def test_invalid_input_exits_2_with_one_error_line(runs, name, message):
    run = runs[name]
    assert run.status == 2
    assert run.stdout == b""
    assert run.stderr.endswith("\n")
    (line,) = run.stderr.splitlines()
    assert line.startswith(message)
    assert line.startswith("error: ")


def test_a_missing_file_is_named(runs):
    (line,) = runs["missing-file"].stderr.splitlines()
    assert line.startswith("error: ")
    assert "no-such-scenario.json" in line


def test_the_invalid_batch_element_is_named_by_its_index(runs):
    (line,) = runs["invalid-batch-element"].stderr.splitlines()
    assert line == "error: [1].procedures[1].fee: no fee given and no office fee for D2740"


def test_deeply_nested_json_is_invalid_input(runs):
    run = runs["deeply-nested"]
    assert run.status == 2
    assert run.stderr.startswith("error: ")
