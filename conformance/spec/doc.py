"""Render the shipped clause indexes as the specification pages of docs/spec/.

`python -m conformance.spec.doc` rewrites docs/spec/ (or the folder given) from
conformance/spec/oss_clauses.yaml and s3_clauses.yaml; a test fails when the pages drift from the
data, so the clause data stays the single source and the pages ship with every checkout. Each
clause is one entry with its id as anchor (`docs/spec/oss.md#OSS-21`), what it states, its
evidence and the strongest level a case may assert for it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._index import Clause, clauses, level_by_evidence

FOLDER = Path("docs/spec")
PAGES = {"OSS": "oss.md", "S3": "s3.md"}
INDEX_PAGE = "index.md"
_GENERATED = ("<!-- generated from conformance/spec/{source} by `python -m conformance.spec.doc`;"
              " do not edit -->")
# Section titles in the project's words; the ids come from the `section` field of each clause.
SECTIONS: dict[str, dict[str, str]] = {
    "OSS": {"0": "Common wire conventions", "1": "Preflights (OPTIONS)",
            "2": "PutBucketCors", "3": "GetBucketCors", "4": "DeleteBucketCors",
            "5": "CORS on actual (non-preflight) requests",
            "5b": "Edge inputs and more request kinds",
            "6": "Signing and SDK usage (nothing a CORS case can observe)"},
    "S3": {"common": "Common wire conventions", "options": "Preflights (OPTIONS)",
           "actual": "CORS on actual requests", "put": "PutBucketCors",
           "get": "GetBucketCors", "delete": "DeleteBucketCors"},
}
TITLES = {"OSS": "Alibaba Cloud OSS CORS behaviour (OSS-1 …)",
          "S3": "Amazon S3 CORS behaviour (S3-1 …)"}
# What each evidence mark means, per index: the level it allows follows from it.
EVIDENCE = {
    "OSS": {"doc": "stated in Alibaba Cloud's OSS documentation",
            "obs": "seen in official SDK tests or source, or in output captured in an official "
                   "document",
            "unc": "uncertain: inferred, conflicting, or from a low-confidence source"},
    "S3": {"doc": "stated on an AWS documentation page (the source quotes it)",
           "obs": "recorded in a response from real AWS (a LocalStack snapshot marked as "
                  "validated against AWS)",
           "unc": "an inference nothing records (the note says from what)"},
}
# The short source keys some notes use, in the project's words.
SOURCE_KEYS = {
    "D-OPT": "Alibaba Cloud's Options (OptionObject) API page",
    "D-PUT / D-GET / D-DEL": "Alibaba Cloud's PutBucketCors, GetBucketCors and DeleteBucketCors "
                             "API pages",
    "D-CFG": "Alibaba Cloud's \"Configure CORS\" guide and console help",
    "D-TRB": "Alibaba Cloud's OSS CORS troubleshooting page",
    "T-PYV2": "integration tests of alibabacloud-oss-python-sdk-v2",
    "T-GOV1 / T-GOV2": "tests of aliyun-oss-go-sdk and alibabacloud-oss-go-sdk-v2",
    "T-JAVA": "integration tests of aliyun-oss-java-sdk",
    "T-ALI": "tests of ali-oss, the Node.js SDK",
    "X-3P": "a third-party diagnostic note (low confidence)",
    "S3-LS": "responses LocalStack recorded against real AWS",
    "LS &lt;test&gt;/&lt;key&gt;": "the LocalStack test of tests/aws/services/s3/test_s3_cors.py "
                                "and the key of its response recorded against AWS",
}
_INTRO = {
    "OSS": "What an endpoint that imitates Alibaba Cloud OSS does with CORS, clause by clause. "
           "Clause numbers never change: a corrected clause is rewritten in place, a new one is "
           "numbered on. Cases cite these ids in `spec:`.",
    "S3": "How Amazon S3 answers where the S3 dialect is judged: the evidence behind every "
          "`variants: s3` expectation. Each fact names its source so that a reader can check it.",
}


def render_index() -> str:
    """The index page: what the pages hold, how evidence sets levels, and every section."""
    levels = level_by_evidence()
    by_prefix = _by_prefix()
    lines = ["# The specification the cases cite", "",
             _GENERATED.format(source="oss_clauses.yaml and s3_clauses.yaml"), "",
             "Every expectation of a case cites where it comes from in its `spec:` list. The "
             "clauses below ship with the package (`conformance/spec/*.yaml`); these pages are "
             "generated from them. `oss-conformance coverage` lists, for each clause, the cases "
             "that cite it; report.html links each cited clause id to its entry here.", "",
             "- [OSS clauses](oss.md): Alibaba Cloud OSS, "
             f"{_span(by_prefix['OSS'])} ({len(by_prefix['OSS'])} clauses).",
             "- [S3 clauses](s3.md): Amazon S3, the evidence of `variants: s3`, "
             f"{_span(by_prefix['S3'])} ({len(by_prefix['S3'])} clauses).", "",
             "## Evidence and levels", "",
             "Each clause carries the strongest evidence for its main assertion, and that "
             "evidence caps the level a case may assert it at. `coverage` warns when an OSS check "
             "asks more than its clauses allow, and refuses an S3 check that does.", "",
             "| evidence | OSS | S3 | strongest level |", "| --- | --- | --- | --- |"]
    lines += [f"| `{ev}` | {EVIDENCE['OSS'][ev]} | {EVIDENCE['S3'][ev]} | `{lvl}` |"
              for ev, lvl in levels.items()]
    lines += ["", "Levels decide what a mismatch does: `must` fails the item, `should` is "
              "reported as a warning, `may` is recorded only. They soften wire-only differences, "
              "never a broken web app: a `browser` check counts as `must` even when marked "
              "`should`, so an answer that makes the browser decide otherwise than the case says "
              "fails the item (only a `may` browser check is recorded without failing).", "",
              "## What `spec:` accepts", "",
              "- a clause id: `OSS-21`, `S3-4` (coverage counts these);",
              "- a documentation anchor: `oss:Options`, `s3:PutBucketCors`, `fetch:cors-check`;",
              "- your own namespaced reference, for cases about your own application: "
              "`app:checkout-upload` (a lower-case namespace, a colon, a name). Coverage ignores "
              "these.", "", "## Source keys in notes", "",
              "| key | source |", "| --- | --- |"]
    lines += [f"| {key} | {what} |" for key, what in SOURCE_KEYS.items()]
    lines += ["", "## Sections", ""]
    for prefix, page in PAGES.items():
        lines += [f"### {TITLES[prefix]}", ""]
        for key, title in SECTIONS[prefix].items():
            ids = [c.id for c in by_prefix[prefix] if c.section == key]
            if ids:
                lines.append(f"- [{_label(prefix, key)}{title}]({page}#{_slug(prefix, key)}): "
                             f"{', '.join(f'[{i}]({page}#{i})' for i in ids)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_page(prefix: str) -> str:
    """One index as a page: its sections in order, one entry per clause."""
    source = "oss_clauses.yaml" if prefix == "OSS" else "s3_clauses.yaml"
    lines = [f"# {TITLES[prefix]}", "", _GENERATED.format(source=source), "",
             _INTRO[prefix], "", "[All clauses and how evidence sets levels](index.md)", ""]
    entries = _by_prefix()[prefix]
    for key, title in SECTIONS[prefix].items():
        members = [c for c in entries if c.section == key]
        if members:
            lines += [f'<a id="{_slug(prefix, key)}"></a>', "",
                      f"## {_label(prefix, key)}{title}", ""]
            for clause in members:
                lines += _entry(clause)
    return "\n".join(lines).rstrip() + "\n"


def _entry(c: Clause) -> list[str]:
    """One clause: anchor, heading, statement, then evidence, level, observability, note, source."""
    meaning = EVIDENCE[c.prefix][c.evidence]
    out = [f'<a id="{c.id}"></a>', "", f"### {c.id}", "", _sentence(c.summary), "",
           f"- **Evidence:** `{c.evidence}`: {meaning}.",
           f"- **Strongest level:** `{c.level}`."]
    if not c.observable:
        out.append("- **Observable:** no. No CORS case can assert it on the wire.")
    if c.note:
        out.append(f"- **Note:** {_escape(c.note)}")
    if c.source:
        out.append(f"- **Source:** {_escape(c.source)}")
    return [*out, ""]


def _by_prefix() -> dict[str, list[Clause]]:
    out: dict[str, list[Clause]] = {p: [] for p in PAGES}
    for clause in clauses().values():
        out[clause.prefix].append(clause)
    unknown = {c.section for cs in out.values() for c in cs} - {
        k for sections in SECTIONS.values() for k in sections}
    if unknown:  # a new section in the data needs a title here, or its clauses would vanish
        raise ValueError(f"sections without a title in conformance/spec/doc.py: {sorted(unknown)}")
    return out


def _label(prefix: str, key: str) -> str:
    return f"§{key} " if prefix == "OSS" else ""


def _slug(prefix: str, key: str) -> str:
    return f"section-{key}" if prefix == "OSS" else f"s3-{key}"


def _span(members: list[Clause]) -> str:
    return f"{members[0].id} … {members[-1].id}" if members else "none yet"


def _sentence(text: str) -> str:
    """The summary as a sentence: capitalised first letter, one full stop."""
    text = _escape(text.strip())
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _escape(text: str) -> str:
    """Keep Markdown from reading `<Code>` as HTML or a pair of `*` wildcards as emphasis."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("*", "\\*")


def render_all() -> dict[str, str]:
    """Every page of docs/spec by file name."""
    return {INDEX_PAGE: render_index(), **{page: render_page(p) for p, page in PAGES.items()}}


def main(argv: list[str] | None = None) -> int:
    """Write every page into the folder given (default docs/spec)."""
    folder = Path(((argv if argv is not None else sys.argv[1:]) or [str(FOLDER)])[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (folder / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
