"""The README's chi2_fit session (its ```pycon block) runs as a doctest: the printed report is what the code prints.

tests/test_readme.py runs the ```python blocks; this is the one ```pycon block, a session whose output
(the lab report of ``print(result)``) is shown in full, so it is compared in full.
"""

import doctest
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def sessions() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r"^```pycon\n(.*?)^```", text, flags=re.S | re.M)]


def test_the_chi2_fit_session_prints_what_the_readme_shows():
    found = [s for s in sessions() if "optim.chi2_fit" in s]
    assert len(found) == 1, "README: expected one ```pycon block with optim.chi2_fit"
    test = doctest.DocTestParser().get_doctest(found[0], {}, "README chi2_fit", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    result = runner.run(test)
    assert result.failed == 0 and result.attempted == 6
