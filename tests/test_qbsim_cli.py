"""The simulator's command line: `company new` makes a company file, and every mistake is one
line on stderr with exit code 2 (never a traceback)."""

from __future__ import annotations

import json

import pytest

from tests.qbsim.__main__ import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_company_new_demo_and_bulk(tmp_path, capsys):
    code, out, _ = run(capsys, "company", "new", str(tmp_path / "demo.json"), "--demo")
    assert code == 0 and json.loads(out)["records"]["account"] == 7
    data = json.loads((tmp_path / "demo.json").read_text())
    assert data["company"]["name"] == "MSP Books"
    code, out, _ = run(capsys, "company", "new", str(tmp_path / "bulk.json"), "--bulk")
    assert code == 0 and json.loads(out)["records"]["customer"] == 14_000
    code, out, _ = run(capsys, "company", "new", str(tmp_path / "empty.json"))
    assert code == 0 and json.loads(out)["records"] == {}


@pytest.mark.parametrize(
    "args, match",
    [
        (["company", "new", "{tmp}/demo.json", "--demo"], "exists already"),
        (["company", "new", "{tmp}/no/such/c.json"], "does not exist"),
        (["company", "new", "{tmp}/c.json", "--demo", "--bulk"], "not allowed with"),
        (
            [
                "run",
                "--url",
                "http://localhost:1/x",
                "--user",
                "u",
                "--password-stdin",
                "--company",
                "{tmp}/missing.json",
            ],
            "company new FILE --demo",
        ),  # fmt: skip
        (["run", "--password-stdin", "--qwc", "{tmp}/bad.qwc"], "cannot read the .qwc file"),
        (
            [
                "run",
                "--password-stdin",
                "--company",
                "{tmp}/bad.json",
                "--url",
                "http://x/",
                "--user",
                "u",
            ],
            "cannot read the company file",
        ),  # fmt: skip
        (["run", "--password-stdin"], "give --url and --user, or --qwc"),
        (["frob"], "invalid choice"),
        ([], "required"),
    ],
)
def test_every_mistake_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, args, match):
    (tmp_path / "demo.json").write_text("{}")
    (tmp_path / "bad.qwc").write_text("<QBWCXML")
    (tmp_path / "bad.json").write_text("{not json")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("pw\n"))
    code, out, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and match in lines[0], err
