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


CANARY_KEY, CANARY_SECRET = "LTAIcanaryKEY0001", "canary-SECRET-4f1d9a7c"


@pytest.fixture
def canary_env(monkeypatch):
    """Credentials with a recognisable secret, to prove it never leaks."""
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", CANARY_KEY)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", CANARY_SECRET)


@pytest.fixture
def keys(monkeypatch):
    """The canary credentials for both dialects' SDKs (OSS_* and AWS_*)."""
    for name, value in (("OSS_ACCESS_KEY_ID", CANARY_KEY), ("OSS_ACCESS_KEY_SECRET", CANARY_SECRET),
                        ("AWS_ACCESS_KEY_ID", CANARY_KEY),
                        ("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)):
        monkeypatch.setenv(name, value)


@pytest.fixture
def open_dialect():
    """make_dialect for a test; every dialect it opened is closed after the test."""
    from conformance.dialects import make_dialect

    opened = []

    def open_(target, creds):
        opened.append(make_dialect(target, creds))
        return opened[-1]

    yield open_
    for dialect in opened:
        dialect.close()
