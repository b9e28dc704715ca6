"""Every kind of bad input in bench/bad_inputs.py ends with one clear error line (exit 2, no traceback)."""
import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location("bad_inputs", Path(__file__).resolve().parents[1] / "bench" / "bad_inputs.py")
bad_inputs = importlib.util.module_from_spec(spec); spec.loader.exec_module(bad_inputs)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    return tmp, bad_inputs.make_fixtures(tmp)


@pytest.mark.parametrize("index", range(36))
def test_bad_input_gives_one_clear_line(fixtures, index):
    tmp, run = fixtures
    all_cases = bad_inputs.cases(tmp, run)
    assert len(all_cases) == 36
    name, args, expect = all_cases[index]
    rc, lines = bad_inputs.run_case(args)
    assert rc == 2, (name, rc, lines)
    assert len(lines) == 1 and lines[0].startswith("st_rl: error: "), (name, lines)
    assert expect in lines[0], (name, lines[0])
    assert not (tmp / "pwned").exists()
