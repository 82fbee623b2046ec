"""Bounds on every YAML file the suite reads: case files, targets.yaml, expectations files.

Any input either loads or gives one-line errors; these bounds keep the time and memory of a
hostile file small (each well under 2 s and 200 MB). They are documented in README.md
("Limits"); tests/cases/test_limits.py checks the two agree.
"""

from __future__ import annotations

# The largest shipped case file is about 10 KB and an expectations file holds a few hundred
# one-line entries: 1 MiB leaves room for both, and the other bounds keep it cheap to parse.
MAX_FILE_BYTES = 1_048_576

# Lists and mappings nested in one another (aliases followed). A case file needs about 10.
MAX_DEPTH = 32

# Values in one file once aliases are expanded (and once tables are expanded): an alias bomb
# of a few hundred bytes would otherwise build billions of them.
MAX_VALUES = 100_000

# Characters of one string value, and of one number (YAML integers of thousands of digits
# are slow to convert and mean nothing to an HTTP header or a status).
MAX_SCALAR_CHARS = 100_000
MAX_NUMBER_CHARS = 100

# A regex matcher: its length, the largest {m,n} repetition count, and group nesting.
MAX_REGEX_CHARS = 1_000
MAX_REGEX_REPEAT = 1_000
MAX_REGEX_NESTING = 20

# Problems reported for one file: past that, more of the same mistake say nothing new.
MAX_ERRORS = 50

LIMITS = {
    "MAX_FILE_BYTES": MAX_FILE_BYTES, "MAX_DEPTH": MAX_DEPTH, "MAX_VALUES": MAX_VALUES,
    "MAX_SCALAR_CHARS": MAX_SCALAR_CHARS, "MAX_NUMBER_CHARS": MAX_NUMBER_CHARS,
    "MAX_REGEX_CHARS": MAX_REGEX_CHARS, "MAX_REGEX_REPEAT": MAX_REGEX_REPEAT,
    "MAX_REGEX_NESTING": MAX_REGEX_NESTING, "MAX_ERRORS": MAX_ERRORS,
}
