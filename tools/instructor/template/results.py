"""Turn pytest's JUnit XML into exercism's results.json (version 2): python results.py IN OUT."""

import json
import sys
import xml.etree.ElementTree as ET


def convert(junit: str) -> dict:
    try:
        cases = list(ET.parse(junit).getroot().iter("testcase"))
    except (OSError, ET.ParseError) as problem:
        return {
            "version": 2,
            "status": "error",
            "message": f"the tests did not run: {problem}",
            "tests": [],
        }
    tests = []
    for case in cases:
        bad = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        status = "pass" if bad is None else "error" if bad.tag == "error" else "fail"
        message = None if bad is None else (bad.get("message") or bad.tag).strip()[:2000]
        path = (case.get("classname") or "").replace(".", "/")
        tests.append(
            {
                "name": case.get("name"),
                "status": status,
                "message": message,
                "test_code": f"{path}::{case.get('name')}",
            }
        )
    if not tests:
        return {"version": 2, "status": "error", "message": "no test ran", "tests": []}
    status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    return {"version": 2, "status": status, "message": None, "tests": tests}


if __name__ == "__main__":
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(convert(sys.argv[1]), out, indent=2)
