"""Operators cite their own requirements (app:checkout-upload) beside the clause ids."""

import pytest

from conformance.cases import CaseFileErrors, parse_case

CASE = """\
title: Checkout uploads from the shop's origin
spec: [{spec}]
cors:
  rules:
    - allowed_origins: [https://shop.example]
      allowed_methods: [PUT]
preflights:
  - name: the upload preflight is granted
    request: {{origin: https://shop.example, request_method: PUT}}
    expect: {{status: 200, browser: allowed}}
"""


@pytest.mark.parametrize("ref", ["app:checkout-upload", "jira:SHOP-1234", "OSS-21",
                                 "S3-4", "oss:Options"])
def test_namespaced_references_and_clause_ids_are_accepted(ref):
    assert parse_case(CASE.format(spec=ref), "x.yaml").spec == (ref,)


def test_a_bare_word_is_refused_with_a_hint_to_namespace_it():
    with pytest.raises(CaseFileErrors) as info:
        parse_case(CASE.format(spec="my-app-requirement"), "x.yaml")
    assert "namespaced reference of your own such as app:checkout-upload" in str(info.value)


def test_coverage_counts_clause_ids_only(tmp_path):
    from conformance.commands.coverage import analyse

    (tmp_path / "own.yaml").write_text(CASE.format(spec="app:checkout-upload"))
    report = analyse([tmp_path / "own.yaml"], None)
    assert "app:checkout-upload" not in report.citations
