"""Readiness: "in effect" by meaning, a bounded wait after every change, one stop, refusals.

Every rule is shown against a real server (the reference endpoint behind a proxy that rewrites
its GetBucketCors answers), holding for what servers normalise and failing for a real change.
"""

import io
import json
import re
import time

import pytest

from conformance.cases.model import CorsConfig, CorsRule, Preflight, ProbeRequest
from conformance.cli import ExitStatus, main
from conformance.dialects.oss import OssDialect
from conformance.errors import ProvisioningError, TargetUnusable
from conformance.readiness import difference, in_effect, poll
from conformance.reference import ReferenceServer
from conformance.refusals import Refusal, refusal_for
from conformance.runner import Runner, Settings
from conformance.targets import Credentials, Target
from tests.conftest import CANARY_KEY, CANARY_SECRET, REPO
from tests.doubles.lagging import LaggingProxy
from tests.doubles.mutations import unchanged
from tests.doubles.servers import MutatingProxy

CONFIG = CorsConfig(rules=(
    CorsRule(allowed_origins=("http://a.example", "http://b.example"),
             allowed_methods=("GET", "PUT"), allowed_headers=("x-oss-one", "x-oss-two"),
             expose_headers=("x-oss-three", "ETag")),
    CorsRule(allowed_origins=("*",), allowed_methods=("GET",), max_age_seconds=60),
))
LISTS = ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader")


def _rules(body: str, each) -> str:
    return re.sub(r"<CORSRule>(.*?)</CORSRule>",
                  lambda m: f"<CORSRule>{each(m.group(1))}</CORSRule>", body, flags=re.S)


def _values(body: str, tags, change) -> str:
    pattern = rf"<({'|'.join(tags)})>(.*?)</\1>"
    return re.sub(pattern, lambda m: f"<{m.group(1)}>{change(m.group(2))}</{m.group(1)}>", body)


def _reverse_lists(rule: str) -> str:
    for tag in LISTS:
        found = re.findall(rf"<{tag}>(.*?)</{tag}>", rule)
        values = iter(reversed(found))
        rule = re.sub(rf"<{tag}>.*?</{tag}>", lambda m, v=values, t=tag: f"<{t}>{next(v)}</{t}>",
                      rule)
    return rule


def _swap_rules(body: str) -> str:
    rules = re.findall(r"<CORSRule>.*?</CORSRule>", body, flags=re.S)
    start, end = body.index(rules[0]), body.index(rules[-1]) + len(rules[-1])
    return body[:start] + "".join(reversed(rules)) + body[end:]


def _unset_max_age_as_zero(rule: str) -> str:
    return rule if "<MaxAgeSeconds>" in rule else rule + "<MaxAgeSeconds>0</MaxAgeSeconds>"


def _extra_rule(body: str) -> str:
    extra = ("<CORSRule><ID>extra</ID><AllowedOrigin>http://c.example</AllowedOrigin>"
             "<AllowedMethod>GET</AllowedMethod></CORSRule>")
    return body.replace("</CORSConfiguration>", extra + "</CORSConfiguration>")


# name -> (rewrite of the GetBucketCors body, a marker of the rewrite, tolerated?)
REWRITES = {
    "list entries reordered": (lambda b: _rules(b, _reverse_lists),
                               "<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET", True),
    "rules reordered": (_swap_rules, "<AllowedOrigin>*</AllowedOrigin>", False),
    "unset MaxAge read back as 0": (lambda b: _rules(b, _unset_max_age_as_zero),
                                    "<MaxAgeSeconds>0", True),
    "a set MaxAge read back as 0": (lambda b: b.replace("<MaxAgeSeconds>60<",
                                                        "<MaxAgeSeconds>0<"),
                                    "<MaxAgeSeconds>0", False),
    "an ID added": (lambda b: _rules(b, lambda r: "<ID>rule-id</ID>" + r), "<ID>rule-id", True),
    "a rule added, with an ID": (_extra_rule, "<ID>extra", False),
    "whitespace around values": (lambda b: _values(b, LISTS, lambda v: f"  {v}\n "),
                                 "  http://a.example\n", True),
    "whitespace inside a value": (lambda b: b.replace("http://a.example", "http://a .example"),
                                  "a .example", False),
    "header names in another case": (lambda b: _values(b, LISTS[2:], str.upper),
                                      "X-OSS-ONE", True),
    "origins in another case": (lambda b: _values(b, LISTS[:1], str.upper), "HTTP://A", False),
}


def _rewriting(rewrite):
    def mutate(method, path, status, headers, body):
        if method == "GET" and "cors" in path and status == 200:
            body = rewrite(body.decode()).encode()
        return status, headers, body
    return mutate


@pytest.fixture
def canary(monkeypatch):
    monkeypatch.setenv("OSS_ACCESS_KEY_ID", CANARY_KEY)
    monkeypatch.setenv("OSS_ACCESS_KEY_SECRET", CANARY_SECRET)


def apply_through(endpoint: str, config: CorsConfig, poll_timeout: float = 1.0):
    runner = Runner(Settings(target=Target(endpoint=endpoint), poll_timeout=poll_timeout))
    try:
        return runner.apply(config), runner
    finally:
        runner.stop()


@pytest.mark.parametrize("name", REWRITES)
def test_each_readiness_rule_holds_against_a_real_server_and_can_fail(name, canary):
    rewrite, marker, tolerated = REWRITES[name]
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, _rewriting(rewrite), only_options=False) as proxy:
        prov, runner = apply_through(proxy.endpoint, CONFIG)
    seen = prov.exchanges[-1]  # the last GetBucketCors poll, as the target answered it
    assert seen.method == "GET" and marker in seen.body.decode(), seen.body
    if tolerated:
        assert prov.error is None, prov.error
        assert prov.propagation is not None and prov.propagation.polls == 1
    else:
        assert isinstance(prov.error, ProvisioningError), prov.error
        assert "configuration not in effect after 1s; GetBucketCors shows " in str(prov.error)
        assert runner._watch.unusable is None  # it changed, just not into this: no stop


def _get_cors_answers(status: int, code: str):
    body = f"<Error><Code>{code}</Code><Message>no</Message></Error>".encode()

    def intercept(method, path):
        if method == "GET" and "cors" in path:
            return status, [("Content-Type", "application/xml")], body
        return None
    return intercept


def test_a_get_bucket_cors_answering_only_errors_stops_the_run_once(canary):
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, unchanged, only_options=False,
                          intercept=_get_cors_answers(403, "AccessDenied")) as proxy:
        runner = Runner(Settings(target=Target(endpoint=proxy.endpoint), poll_timeout=1.0))
        try:
            first = runner.apply(CONFIG)
            start = time.monotonic()
            with pytest.raises(TargetUnusable) as second:  # like a failed start, at once
                runner.apply(CorsConfig(rules=CONFIG.rules[:1]))
            took = time.monotonic() - start  # not the stop() below: only the second apply
        finally:
            runner.stop()
    assert isinstance(first.error, TargetUnusable), first.error
    assert "GetBucketCors answered 403 AccessDenied for 1s" in str(first.error)
    assert second.value is first.error and took < 0.5  # no second wait of the 1 s bound


def test_a_get_bucket_cors_that_is_not_implemented_is_not_waited_on(canary):
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}) as ref, \
            MutatingProxy(ref.endpoint, unchanged, only_options=False,
                          intercept=_get_cors_answers(501, "NotImplemented")) as proxy:
        runner = Runner(Settings(target=Target(endpoint=proxy.endpoint), poll_timeout=5.0))
        start = time.monotonic()
        try:
            provs = [runner.apply(CONFIG), runner.apply(None)]
        finally:
            runner.stop()
    assert [(p.error, p.propagation) for p in provs] == [(None, None), (None, None)]
    assert time.monotonic() - start < 2


def test_an_added_id_holds_in_the_s3_dialect_where_ids_are_read_back(canary, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
    rewrite = REWRITES["an ID added"][0]
    with ReferenceServer(credentials={CANARY_KEY: CANARY_SECRET}, dialect="s3") as ref, \
            MutatingProxy(ref.endpoint, _rewriting(rewrite), only_options=False) as proxy:
        runner = Runner(Settings(target=Target(endpoint=proxy.endpoint, dialect="s3",
                                               region=ref.region), poll_timeout=1.0))
        try:
            prov = runner.apply(CONFIG)
            _, seen, _ = runner.get_cors()
        finally:
            runner.stop()
    assert prov.error is None and [r.id for r in seen.rules] == ["rule-id", "rule-id"]
    assert difference(seen, CONFIG) == ""


def test_the_difference_is_named_in_a_few_words():
    moved = CorsConfig(rules=(CONFIG.rules[1], CONFIG.rules[0]))
    assert difference(moved, CONFIG) == "rule 1 AllowedOrigin * instead of " \
                                        "http://a.example,http://b.example"
    assert difference(None, CONFIG) == "no configuration"
    assert difference(CorsConfig(rules=CONFIG.rules[:1]), CONFIG) == "1 rule(s) instead of 2"
    assert in_effect(None, None) and not in_effect(CONFIG, None)
    lower = CorsConfig(rules=(CorsRule(("*",), ("get",)),))
    assert not in_effect(lower, CorsConfig(rules=(CorsRule(("*",), ("GET",)),)))  # OSS-37


def test_the_reference_evaluator_decides_which_items_a_refused_rule_sinks():
    star, example = CorsRule(("*.example.org",), ("GET",)), CorsRule(("http://a.test",), ("PUT",))
    config = CorsConfig(rules=(example, star))
    refused = (Refusal(2, star, 400, "InvalidArgument"),)

    def item(action="probe", **request):
        return Preflight("p", 1, ProbeRequest(**request), {}, action=action)

    granted = item(origin="https://www.example.org", request_method="GET")
    assert refusal_for(granted, config, refused) is refused[0]
    assert refusal_for(item(origin="http://a.test", request_method="PUT"), config, refused) is None
    assert refusal_for(item(origin="https://example.org", request_method="GET"), config,
                       refused) is None  # denied either way
    raw = item(raw_headers=(("Origin", "https://x.example.org"),
                            ("Access-Control-Request-Method", "GET")))
    assert refusal_for(raw, config, refused) is refused[0]
    actual = item(method="GET", origin="https://x.example.org")
    assert refusal_for(actual, config, refused) is refused[0]
    assert refusal_for(item(action="get_cors"), config, refused) is refused[0]
    assert str(refused[0]) == "the target refused rule 2 (origins=*.example.org methods=GET): " \
                              "400 InvalidArgument"


def test_poll_backs_off_from_small_delays_and_is_bounded():
    slept: list[float] = []
    held, calls = poll(lambda: False, 1.0, sleep=lambda s: (slept.append(s), time.sleep(s)))
    assert not held and slept[:3] == [0.02, 0.04, 0.08] and max(slept) <= 0.5
    assert calls == len(slept) + 1 and sum(slept) == pytest.approx(1.0, abs=0.1)
    assert poll(lambda: True, 1.0, sleep=slept.append) == (True, 1)


@pytest.fixture
def lagging(canary, monkeypatch):
    """A target that applies every CORS change 1.5 s late (or, with lag None, never)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CANARY_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)

    def start(lag_s, refuse=None, dialect="oss"):
        keys = {CANARY_KEY: CANARY_SECRET}
        ref = ReferenceServer(credentials=keys, dialect=dialect).start()
        shadow = ReferenceServer(credentials=keys, dialect=dialect).start()
        proxy = LaggingProxy(ref.endpoint, shadow.endpoint, lag_s, refuse).__enter__()
        proxy.region = ref.region
        started.append((ref, shadow, proxy))
        return proxy

    started: list = []
    yield start
    for ref, shadow, proxy in started:
        proxy.__exit__()
        ref.stop()
        shadow.stop()


def test_the_lagging_double_answers_as_before_until_its_lag_has_passed(lagging):
    proxy = lagging(1.5)
    admin = OssDialect(Target(endpoint=proxy.endpoint), Credentials(CANARY_KEY, CANARY_SECRET))
    try:
        assert admin.create_bucket("lagging").ok
        acked = time.monotonic()
        assert admin.put_cors("lagging", CONFIG).ok
        result, _ = admin.get_cors("lagging")
        assert result.code == "NoSuchCORSConfiguration"  # a judgement now would be wrong
        held, _ = poll(lambda: admin.get_cors("lagging")[0].ok, 5.0)
        assert held and time.monotonic() - acked >= 1.5
    finally:
        admin.close()


def run_cli(*argv):
    out = io.StringIO()
    start = time.monotonic()
    code = main(list(argv), stdout=out, stderr=out)
    return code, out.getvalue(), time.monotonic() - start


# Every case whose items change the configuration mid-run (sequences, deletes, read-backs), and
# two provisioned configurations: where a lag bites. The whole corpus gives the same verdict
# (0 failures, measured) at three times the cost.
LAG_CASES = ("sequences", "delete-bucket-cors", "get-bucket-cors",
             "put-bucket-cors/replace-semantics.yaml", "preflight/exact-origin-grant.yaml",
             "matching/rule-order.yaml")


@pytest.mark.parametrize("dialect", ["oss", "s3"])
def test_a_corpus_run_on_a_target_lagging_1_5_s_after_every_change_has_no_failure(
        dialect, lagging, tmp_path):
    proxy = lagging(1.5, dialect=dialect)
    code, out, _ = run_cli("run", "-q", "-n", "2", "--endpoint", proxy.endpoint,
                           "--dialect", dialect, "--region", proxy.region,
                           "--reports", str(tmp_path),
                           *(str(REPO / "cases" / case) for case in LAG_CASES))
    assert code == ExitStatus.OK, out[-3000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["summary"].get("failed", 0) == 0 and doc["summary"]["passed"] > 50
    spread = doc["propagation"]
    # A change into what was already shown (no configuration, on a fresh bucket) shows at once.
    assert spread["median_ms"] >= 1500 and spread["max_polls"] > 1, spread
    assert proxy.changes >= spread["changes"]
    assert "propagation: " in out and "propagation: " in (tmp_path / "report.html").read_text()


def test_a_target_that_never_applies_a_change_stops_the_run_in_one_line_within_a_minute(
        lagging, tmp_path):
    proxy = lagging(None)
    code, out, elapsed = run_cli("run", "-q", "--endpoint", proxy.endpoint,
                                 "--reports", str(tmp_path))
    assert code == ExitStatus.TARGET_OR_PROVISIONING_ERROR, out[-3000:]
    assert elapsed < 60, elapsed
    doc = json.loads((tmp_path / "results.json").read_text())
    errors = [i for i in doc["items"] if i["error"]]
    assert len(errors) == 1, [i["error"] for i in errors]  # diagnosed once, then stopped
    line = errors[0]["error"]
    assert "\n" not in line and "the target does not apply CORS changes" in line
    assert "PutBucketCors was acknowledged, yet after 30s GetBucketCors still shows" in line
    assert f"conformance: STOPPED: {line}" in out  # the run's last word says why it stopped
    assert "STOPPED: " in (tmp_path / "report.html").read_text()
    assert "Traceback" not in out


REFUSED_CASE = """\
title: A refused wildcard form sinks only the items it decides
spec: [OSS-34]
cors:
  rules:
    - allowed_origins: ["http://localhost:*"]
      allowed_methods: [GET]
      max_age_seconds: 10
    - allowed_origins: ["*.example.org"]
      allowed_methods: [GET]
      max_age_seconds: 20
    - allowed_origins: ["https://static-*.example.net"]
      allowed_methods: [GET]
      max_age_seconds: 30
preflights:
  - name: rule 1 grants localhost
    request: {origin: "http://localhost:3000", request_method: GET}
    expect: {status: 200, headers: {Access-Control-Max-Age: "10"}}
  - name: rule 2 grants www.example.org
    request: {origin: "https://www.example.org", request_method: GET}
    expect: {status: 200, headers: {Access-Control-Max-Age: "20"}}
  - name: rule 3 grants static-01.example.net
    request: {origin: "https://static-01.example.net", request_method: GET}
    expect: {status: 200, headers: {Access-Control-Max-Age: "30"}}
  - name: no rule grants example.com
    request: {origin: "https://example.com", request_method: GET}
    expect: {status: 403}
"""


def test_a_refused_value_fails_only_the_item_it_decides(lagging, tmp_path):
    proxy = lagging(0.0, refuse=lambda body: b"<AllowedOrigin>*.example.org<" in body)
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "refused.yaml").write_text(REFUSED_CASE)
    code, out, _ = run_cli("run", str(tmp_path / "cases"), "--endpoint", proxy.endpoint,
                           "--reports", str(tmp_path / "r"))
    assert code == ExitStatus.CONFORMANCE_FAILURES, out[-3000:]
    doc = json.loads((tmp_path / "r" / "results.json").read_text())
    outcomes = {i["preflight"]: i["outcome"] for i in doc["items"]}
    assert outcomes == {"rule 1 grants localhost": "passed",
                        "rule 2 grants www.example.org": "failed",
                        "rule 3 grants static-01.example.net": "passed",
                        "no rule grants example.com": "passed"}
    failed = next(i for i in doc["items"] if i["outcome"] == "failed")
    assert failed["error"] is None  # a deviation of the target, not an error of the run
    assert failed["checks"][0]["actual"] == "PutBucketCors refused: 400 InvalidArgument"
    said = "the target refused rule 2 (origins=*.example.org methods=GET max_age=20): " \
           "400 InvalidArgument"
    assert said in out
    calls = [c for calls in doc["provisionings"].values() for c in calls
             if c["request"]["method"] == "PUT"]
    assert len(calls) == 1 + 3 + 1  # the whole, each rule alone once, the rest
