"""Every kind of bad input in bench/bad_inputs.py ends with one clear error line (exit 2, no traceback), and no
crafted file runs code."""
import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("bad_inputs", Path(__file__).resolve().parents[1] / "bench" / "bad_inputs.py")
bad_inputs = importlib.util.module_from_spec(spec); spec.loader.exec_module(bad_inputs)
NUM_CASES = len(bad_inputs.cases(Path("/nonexistent"), Path("/nonexistent/run")))     # the table builds no files


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    try: yield tmp, bad_inputs.make_fixtures(tmp)
    finally: bad_inputs.cleanup(tmp)


def test_table_is_complete():
    names = [c[0] for c in bad_inputs.cases(Path("/x"), Path("/x/run"))]
    assert len(names) == len(set(names)) and len(names) > 80


@pytest.mark.parametrize("index", range(NUM_CASES))
def test_bad_input_gives_one_clear_line(fixtures, index):
    tmp, run = fixtures
    all_cases = bad_inputs.cases(tmp, run)
    assert len(all_cases) == NUM_CASES
    case = all_cases[index]
    name, args, expect = case[:3]
    try: rc, lines, stderr = bad_inputs.run_one(case)
    except bad_inputs.Skip as e: pytest.skip(f"{name}: {e}")
    assert not (tmp / "pwned").exists(), (name, (tmp / "pwned").read_text())
    assert rc == 2, (name, rc, lines)
    assert len(lines) == 1 and lines[0].startswith("st_rl: error: "), (name, lines)
    assert "Traceback" not in stderr, (name, stderr[-2000:])
    assert expect in lines[0], (name, lines[0])
    absent = (*case, {})[3].get("absent")
    assert not absent or absent not in stderr, (name, absent, stderr[-2000:])
