"""--dry-run lists the plan: every configuration change and every request, in order."""

import io

from conformance.cli import ExitStatus, main

REPO_CASES = "cases/preflight/exact-origin-grant.yaml"


def test_the_plan_lists_each_configuration_change_and_each_request(tmp_path):
    out = io.StringIO()
    code = main(["run", "--dry-run", "--reports", str(tmp_path), REPO_CASES, "cases/sequences"],
                stdout=out, stderr=out)
    text = out.getvalue()
    assert code == ExitStatus.OK, text
    plan = text[text.index("plan (in order):"):].splitlines()[1:]
    changes = [line for line in plan if line.startswith("- ")]
    assert changes[0].startswith("- PutBucketCors rule1[origins=http://www.example.com")
    assert changes[1] == ("- sequence cases/sequences/put-replace-delete.yaml: "
                          "DeleteBucketCors, then its steps")
    assert ("    OPTIONS /photos/cat.jpg  [Origin: http://evil.example.org, "
            "Access-Control-Request-Method: PUT]    # another origin is refused") in plan
    assert "    DeleteBucketCors on the provisioned bucket    # deleting again is still 204" in plan
    requests = [line for line in plan if line.startswith("    ")]
    assert len(requests) == 19  # every collected item, none dropped
