import warnings
from pathlib import Path

import pytest

from conformance.cases import CaseFileErrors, load_case, parse_case
from conformance.cases.model import Absent, Exact, Present, Regex, Tokens

BAD = Path(__file__).parent / "bad"

# Error text is part of the product: each bad file has its exact one-line message.
SNAPSHOTS = {
    "broken-yaml.yaml": [
        "broken-yaml.yaml:6: invalid YAML: did not find expected ',' or ']' "
        "(while parsing a flow sequence)"],
    "wrong-type.yaml": ["wrong-type.yaml:8: preflights[0].expect.status: 'abc' is not an integer"],
    "unknown-key.yaml": [
        "unknown-key.yaml:8: preflights[0].expect.stauts: unknown key 'stauts' "
        "(did you mean 'status'?); allowed: browser, cors, error, error_code, error_message, "
        "headers, status"],
    "missing-field.yaml": [
        "missing-field.yaml:5: cors.rules[0]: missing required field 'allowed_methods'"],
    "misspelt-matcher.yaml": [
        "misspelt-matcher.yaml:10: preflights[0].expect.headers.Access-Control-Allow-Methods"
        ".token: unknown key 'token' (did you mean 'tokens'?); allowed: absent, exact, level, "
        "ordered, present, regex, spec, tokens"],
    "duplicate-key.yaml": ["duplicate-key.yaml:4: duplicate key 'cors'"],
    "bad-regex.yaml": [
        "bad-regex.yaml:9: preflights[0].expect.headers.x-oss-request-id.regex: invalid "
        "regular expression '[a-z': unterminated character set at position 0"],
    # Hostile or mistaken inputs (issue 15): each once gave a traceback, a hang or no line.
    "alias-recursive.yaml": [
        "alias-recursive.yaml:1: title: lists and mappings nested deeper than 32 levels "
        "(MAX_DEPTH; an alias inside its own anchor nests without end): refused"],
    "alias-bomb.yaml": [
        "alias-bomb.yaml:1: title: more than 100,000 values once aliases and tables are "
        "expanded (MAX_VALUES): refused"],
    "deep-nesting.yaml": [
        "deep-nesting.yaml:1: title[0][0][0][0][0][0][0]...: lists and mappings nested deeper "
        "than 32 levels (MAX_DEPTH): refused"],
    "matcher-not-a-string.yaml": [
        "matcher-not-a-string.yaml:9: preflights[0].expect.headers.Access-Control-Max-Age: "
        "120 is not a string"],
    "key-on.yaml": [
        "key-on.yaml:9: the key on is read as true or false; a key must be a string: quote it "
        "('on')"],
    "key-int.yaml": [
        "key-int.yaml:9: the key 1 is read as an integer; a key must be a string: quote it "
        "('1')"],
    "key-null.yaml": [
        "key-null.yaml:9: the key ~ is read as null; a key must be a string: quote it ('~')"],
    "key-date.yaml": [  # a date is a string (YAML 1.2): here an unknown key, said so
        "key-date.yaml:9: 2020-01-01: unknown key '2020-01-01'; allowed: cors, dialects, "
        "inapplicable, level, preflights, spec, steps, title"],
    "tag-binary.yaml": [
        "tag-binary.yaml:1: title: unsupported YAML tag !!binary: only strings, numbers, "
        "true/false, null, lists and mappings (quote the value to make it a string)"],
    "tag-timestamp.yaml": [
        "tag-timestamp.yaml:1: title: unsupported YAML tag !!timestamp: only strings, numbers, "
        "true/false, null, lists and mappings (quote the value to make it a string)"],
    "tag-bool.yaml": ["tag-bool.yaml:1: title: 'x' is not true or false"],
    "tag-int.yaml": ["tag-int.yaml:1: title: 'x' is not an integer"],
    "big-int.yaml": [
        "big-int.yaml:8: preflights[0].expect.status: an integer of 4,301 characters: the "
        "limit is 100 (MAX_NUMBER_CHARS); quote it to make it a string"],
    "regex-nested-groups.yaml": [
        "regex-nested-groups.yaml:9: preflights[0].expect.headers.x.regex: regular expression "
        "of 2,000 characters: the limit is 1,000 (MAX_REGEX_CHARS)"],
    "regex-repeat.yaml": [
        "regex-repeat.yaml:9: preflights[0].expect.headers.x.regex: regular expression "
        "'a{99999999999}' repeats 99,999,999,999 times: the limit is 1,000 (MAX_REGEX_REPEAT)"],
    "regex-future-warning.yaml": [
        "regex-future-warning.yaml:9: preflights[0].expect.headers.x.regex: invalid regular "
        "expression '[[a]': Possible nested set at position 1"],
    "not-utf8.yaml": ["not-utf8.yaml:1: not UTF-8: byte 0xe9 at column 11"],
    "control-character.yaml": [
        "control-character.yaml:9: invalid YAML: control character U+0001 at column 20 (not "
        "allowed in YAML; write it as an escape such as \\x01 inside double quotes)"],
}


@pytest.mark.parametrize("name", sorted(SNAPSHOTS))
def test_bad_case_gives_exact_one_line_errors(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing printed on stderr either (re's FutureWarning)
        with pytest.raises(CaseFileErrors) as info:
            load_case(BAD / name, display=name)
    assert [str(e) for e in info.value.errors] == SNAPSHOTS[name]
    assert all("\n" not in str(e) for e in info.value.errors)


def test_every_bad_fixture_has_a_snapshot():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(SNAPSHOTS)


GOOD = """\
title: t
spec: [OSS-21]
level: should
dialects: [oss, s3]
cors:
  rules:
    - allowed_origins: [http://a.test]
      allowed_methods: [GET]
      allowed_headers: [X-Up]
  response_vary: true
preflights:
  - name: first
    spec: [OSS-24]
    request: {origin: http://a.test, request_method: GET, request_headers: [x-a, x-b]}
    expect:
      status: 200
      headers:
        Access-Control-Allow-Origin: http://a.test
        Access-Control-Allow-Methods: {tokens: [GET], ordered: true, level: must}
        Access-Control-Allow-Credentials: absent
        Access-Control-Max-Age: present
        x-oss-request-id: {regex: "[0-9A-F]{24}", spec: [OSS-1]}
      browser: allowed
    variants:
      s3:
        status: {equals: 403, level: may}
        headers: {access-control-allow-origin: absent}
"""


def test_good_case_builds_the_model():
    case = parse_case(GOOD, "good.yaml")
    pf = case.preflights[0]
    assert pf.line == 12 and pf.spec == ("OSS-21", "OSS-24")
    assert pf.request.request_headers == "x-a,x-b"
    assert case.cors.rules[0].allowed_headers == ("X-Up",) and case.cors.response_vary is True
    oss = {c.subject: c for c in pf.checks_for("oss")}
    assert oss["status"].matcher == Exact(200) and oss["status"].level == "should"
    assert oss["header:Access-Control-Allow-Methods"].matcher == Tokens(("GET",), True)
    assert oss["header:Access-Control-Allow-Methods"].level == "must"
    assert oss["header:Access-Control-Allow-Credentials"].matcher == Absent()
    assert oss["header:Access-Control-Max-Age"].matcher == Present()
    assert oss["header:x-oss-request-id"].matcher == Regex("[0-9A-F]{24}")
    assert oss["header:x-oss-request-id"].spec == ("OSS-1",)
    assert pf.expected_browser("oss") == "allowed"


def test_variant_replaces_keys_and_merges_headers_case_insensitively():
    pf = parse_case(GOOD, "good.yaml").preflights[0]
    s3 = {c.subject: c for c in pf.checks_for("s3")}
    assert s3["status"].matcher == Exact(403) and s3["status"].level == "may"
    assert "header:Access-Control-Allow-Origin" not in s3
    assert s3["header:access-control-allow-origin"].matcher == Absent()
    assert "header:Access-Control-Max-Age" in s3


def test_equal_configurations_share_a_provisioning_key():
    a = parse_case(GOOD, "a.yaml")
    b = parse_case(GOOD.replace("name: first", "name: other"), "b.yaml")
    c = parse_case(GOOD.replace("max_age", "x").replace("response_vary: true",
                                                         "response_vary: false"), "c.yaml")
    assert a.config_key == b.config_key != c.config_key


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "x.yaml:1: a case file must be a mapping"),
    ("", "x.yaml:1: a case file must be a mapping"),
    (GOOD.replace("name: first", "name: a [b]"), "does not match the pattern"),
    (GOOD + "  - name: first\n    request: {}\n    expect: {status: 200}\n",
     "x.yaml:28: preflights[1].name: name 'first' is already used by preflights[0]"),
    (GOOD.replace("request: {origin", "request: {raw_headers: [[Origin, a]], origin"),
     "raw_headers replaces origin, request_method, request_headers"),
    (GOOD.replace("spec: [OSS-21]", "spec: [OSS21]"),
     "x.yaml:2: spec[0]: 'OSS21' is not a clause id such as OSS-21"),
    (GOOD.replace("status: 200", "status: 99"), "99 is below the minimum 100"),
    (GOOD.replace("dialects: [oss, s3]", "dialects: [os]"),
     "'os' is not one of oss, s3 (did you mean 'oss'?)"),
    (GOOD.replace("{tokens: [GET], ordered: true, level: must}", "{tokens: [GET], exact: GET}"),
     "give only one of exact, tokens, absent, present, regex, not exact and tokens"),
])
def test_problems_are_one_line_each(text, message):
    with pytest.raises(CaseFileErrors) as info:
        parse_case(text, "x.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_every_problem_of_a_file_is_reported():
    text = GOOD.replace("status: 200", "status: abc").replace("browser: allowed", "browser: x")
    with pytest.raises(CaseFileErrors) as info:
        parse_case(text, "x.yaml")
    assert len(info.value.errors) == 2
    assert [e.line for e in info.value.errors] == [16, 23]


TABLE = """\
title: t
spec: [OSS-37]
cors:
  rules: [{allowed_origins: [http://a.test], allowed_methods: [GET, PUT]}]
preflights:
  - name: a plain preflight
    request: {origin: http://a.test, request_method: GET}
    expect: {status: 200}
  - table:
      name: method {method} is {verdict}
      rows:
        - {method: PUT, verdict: granted, status: 200, acao: http://a.test}
        - {method: DELETE, verdict: refused, status: 403, acao: absent}
      template:
        spec: [OSS-31]
        request: {origin: http://a.test, request_method: "{method}"}
        expect:
          status: "{status}"
          headers: {Access-Control-Allow-Origin: "{acao}", x: {regex: "[0-9]{2}"}}
"""


def test_a_table_generates_one_preflight_per_row_with_typed_values():
    case = parse_case(TABLE, "t.yaml")
    names = [p.name for p in case.preflights]
    assert names == ["a plain preflight", "method PUT is granted", "method DELETE is refused"]
    put, delete = case.preflights[1:]
    assert (put.line, delete.line) == (12, 13)
    assert put.request.request_method == "PUT" and put.spec == ("OSS-37", "OSS-31")
    checks = {c.subject: c.matcher for c in delete.checks_for("oss")}
    assert checks["status"] == Exact(403)
    assert checks["header:Access-Control-Allow-Origin"] == Absent()
    assert checks["header:x"] == Regex("[0-9]{2}")  # braces that are not placeholders stay


@pytest.mark.parametrize("change, message", [
    (("status: \"{status}\"", "status: \"{stauts}\""),
     "t.yaml:12: preflights[1].table.rows[0]: placeholder {stauts} has no column in this row "
     "(did you mean 'status'?)"),
    (("status: 403, acao", "status: abc, acao"),
     "t.yaml:13: preflights[2].expect.status: 'abc' is not an integer"),
    (("{method: DELETE, verdict: refused", "{method: PUT, verdict: granted"),
     "t.yaml:13: preflights[2].name: name 'method PUT is granted' is already used"),
    (("name: method {method} is {verdict}", "name: 'method {method}: {verdict}'"),
     "t.yaml:12: preflights[1].name: 'method PUT: granted' does not match the pattern"),
])
def test_table_rows_get_one_line_errors_at_their_own_line(change, message):
    with pytest.raises(CaseFileErrors) as info:
        parse_case(TABLE.replace(*change), "t.yaml")
    assert str(info.value.errors[0]).startswith(message)
