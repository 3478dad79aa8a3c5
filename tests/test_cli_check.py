"""`torchdojo check` through the real command: reference full, stubs zero, bad folders."""

from __future__ import annotations

import json

import pytest

from helpers import SEED, run


@pytest.fixture(scope="module")
def reference_report() -> dict:
    proc = run("check", "reference", "--json", "--device", "cpu", "--seed", str(SEED))
    assert proc.returncode == 0, proc.stderr + proc.stdout[-3000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def stub_report() -> dict:
    proc = run("check", "exercises", "--json", "--device", "cpu", "--seed", str(SEED))
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def test_json_has_the_documented_shape(reference_report):
    assert {"score", "max_score", "device", "modules"} <= set(reference_report)
    assert reference_report["device"] == "cpu"
    for module in reference_report["modules"]:
        assert {"name", "score", "max_score", "items"} <= set(module)
        for item in module["items"]:
            assert {"name", "score", "max_score", "status", "message"} <= set(item)


def test_reference_gets_full_points_in_every_module(reference_report):
    from torchdojo.course import load_course

    names = [m["name"] for m in reference_report["modules"]]
    assert names == load_course().names
    for module in reference_report["modules"]:
        lost = [(i["name"], i["status"], i["message"]) for i in module["items"] if i["score"] != i["max_score"]]
        assert not lost, f"{module['name']}: {lost}"
        assert module["max_score"] > 0, module["name"]
    assert reference_report["score"] == reference_report["max_score"] > 0


def test_stubs_get_zero_with_a_message_on_every_item(stub_report, reference_report):
    assert stub_report["score"] == 0
    assert stub_report["max_score"] == reference_report["max_score"]
    for module in stub_report["modules"]:
        for item in module["items"]:
            assert item["score"] == 0, (module["name"], item)
            assert item["message"].strip(), (module["name"], item["name"])


def test_text_report_shows_items_and_total():
    proc = run("check", "reference", "--module", "01_tensors", "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    assert "row_stats" in proc.stdout and "15/15" in proc.stdout


def test_missing_folder_is_a_clear_error(tmp_path):
    proc = run("check", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert "no such folder" in proc.stderr and "Traceback" not in proc.stderr


def test_folder_without_exercises_is_a_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    proc = run("check", str(tmp_path))
    assert proc.returncode == 2
    assert "holds no exercise files" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "01_tensors.py").write_text("")
    proc = run("check", str(tmp_path))
    assert proc.returncode == 2 and f"run torchdojo check {tmp_path / 'exercises'}" in proc.stderr


def test_unknown_module_is_a_clear_error():
    proc = run("check", "reference", "--module", "99_nothing")
    assert proc.returncode == 2
    assert "unknown module" in proc.stderr and "Traceback" not in proc.stderr


def test_cuda_asked_without_gpu_says_so():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the message is for machines without one")
    proc = run("check", "reference", "--device", "cuda", "--module", "01")
    assert proc.returncode == 2
    assert "CUDA" in proc.stderr and "Traceback" not in proc.stderr


def test_gradescope_format_is_results_json():
    proc = run("check", "reference", "--module", "01_tensors", "--format", "gradescope", "--device", "cpu")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["score"] == sum(t["max_score"] for t in data["tests"]) > 0
    assert all(t["status"] == "passed" and t["name"] for t in data["tests"])
