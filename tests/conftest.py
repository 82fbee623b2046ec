import shutil
from pathlib import Path

import pytest

# pytester's in-process runs unload modules first imported inside them; importing the SDK
# stack here keeps one copy of requests' classes across runs.
import conformance.dialects.oss  # noqa: F401
import conformance.plugin  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "cases" / "preflight" / "options-page-sample.yaml"


@pytest.fixture
def case_dir(pytester: pytest.Pytester) -> Path:
    """A pytester project whose case root is ./cases, holding the seed case."""
    pytester.makeini("[pytest]\nconformance_case_roots = cases\n")
    cases = pytester.mkdir("cases")
    shutil.copy(SEED, cases / SEED.name)
    return cases
