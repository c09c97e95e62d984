"""NumPy's warnings from inside an operation name the user's line, once per line
(chainrule.warning_location). Run in a fresh interpreter: pytest replaces
warnings.showwarning while a test runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _stderr(tmp_path, source, *flags):
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run([sys.executable, *flags, str(script)], capture_output=True,
                          text=True, check=False).stderr


PROGRAM = """\
    import numpy as np
    import chainrule as cr
    x = cr.tensor(np.array([-1.0, 1.0]))
    for _ in range(3):
        a = cr.log(x)
    b = cr.sqrt(x)
    c = cr.log(x)
"""


def test_each_user_line_is_named_once(tmp_path):
    err = _stderr(tmp_path, PROGRAM)
    lines = [line for line in err.splitlines() if "RuntimeWarning" in line]
    assert [line.split(": RuntimeWarning")[0].rsplit(":", 1)[1] for line in lines] == [
        "5", "6", "7"]
    assert all("program.py" in line for line in lines)
    assert "graph.py" not in err


def test_filters_given_by_the_user_still_decide(tmp_path):
    assert "RuntimeWarning" not in _stderr(tmp_path, PROGRAM, "-W", "ignore")
    err = _stderr(tmp_path, PROGRAM, "-W", "error::RuntimeWarning")
    assert "Traceback" in err and "invalid value encountered in log" in err


def test_the_users_always_filter_shows_every_occurrence(tmp_path):
    err = _stderr(tmp_path, "    import warnings\n    warnings.simplefilter('always')\n"
                  + PROGRAM)
    lines = [line for line in err.splitlines() if "RuntimeWarning" in line]
    assert [line.split(": RuntimeWarning")[0].rsplit(":", 1)[1] for line in lines] == [
        "7", "7", "7", "8", "9"]
    assert all("program.py" in line for line in lines)
