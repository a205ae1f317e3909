"""督办单 across rounds, through the CLI (issue 15, item 1): a notice keeps its number,
a problem still there is 二次督办 and, after ``--interview-after`` rounds, 约谈; and
every subject type reaches the unit responsible for it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from loop_fixtures import copy_example, edit_schools

from supervise_rules.cli import main

FIRST = "2164000232"  # 贺兰县第一小学: sports area 6.80 < 7.5 m² per student, every round
THIRD = "2164000303"  # 贺兰县第三小学: largest class 52 > 45 in round 1, fixed in round 2
SIXTH = "2164000409"  # 贺兰县第六小学: no problem in round 1, a class of 58 from round 2
CASE = "G640122201102140983"  # a dropout case of 洪广镇中心学校 (2164000697), 105 days out of school
CASE_SCHOOL = "2164000697"
INSPECTOR = "HLDX01"  # 马志刚: 7 schools for one inspector (INS-02)


def _round(tmp_path: Path, name: str, as_of: str, *, fixed: bool) -> Path:
    folder = copy_example(tmp_path / name)
    manifest = folder / "submission.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("as_of: 2024-09-30", f"as_of: {as_of}"), encoding="utf-8"
    )
    if fixed:
        edit_schools(
            folder,
            set_values={
                (THIRD, "primary"): {"largest_class_size": "45"},
                (SIXTH, "primary"): {"largest_class_size": "58"},
            },
        )
    return folder


def _notices(capsys, folder: Path, out: Path, *extra: str) -> dict[str, str]:
    code = main(["notices", str(folder), "--output-dir", str(out), "--deadline", "2024-12-31", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


def _number(html: str) -> str:
    match = re.search(r'<div class="docno">([^<]*)</div>', html)
    assert match, "no document number in the masthead"
    return match.group(1)


@pytest.fixture
def rounds(tmp_path):
    return (
        _round(tmp_path, "r1", "2024-09-30", fixed=False),
        _round(tmp_path, "r2", "2024-12-20", fixed=True),
        _round(tmp_path, "r3", "2025-01-20", fixed=True),
    )


def test_a_notice_keeps_its_number_across_rounds(rounds, tmp_path, capsys):
    r1, r2, _ = rounds
    (tmp_path / "office").mkdir()
    state = tmp_path / "office" / "numbering.json"
    one = _notices(capsys, r1, tmp_path / "n1", "--numbering", str(state))
    assert _number(one[f"{FIRST}.html"]) == "贺教督办〔2024〕1号"
    assert _number(one[f"{THIRD}.html"]) == "贺教督办〔2024〕2号"
    numbers_1 = {
        name: _number(text)
        for name, text in one.items()
        if name.endswith(".html") and name not in ("index.html", "office.html")
    }
    assert len(set(numbers_1.values())) == len(numbers_1)  # no number given twice
    assert f"{SIXTH}.html" not in one
    assert json.loads(state.read_text(encoding="utf-8"))["rounds"] == ["2024-09-30"]

    two = _notices(capsys, r2, tmp_path / "n2", "--numbering", str(state))
    # the school still failing keeps its number; the fixed one gets no notice, and its
    # number is not given to anyone else; the new one gets the next free number
    assert _number(two[f"{FIRST}.html"]) == "贺教督办〔2024〕1号"
    assert f"{THIRD}.html" not in two
    assert not any("贺教督办〔2024〕2号" in text for text in two.values())
    assert _number(two[f"{SIXTH}.html"]) == f"贺教督办〔2024〕{len(numbers_1) + 1}号"
    for name, number in numbers_1.items():
        if name in two:
            assert _number(two[name]) == number, name
    # the persisting problem is a second notice; the new one is a first
    assert '<span class="mark">二次督办</span>' in two[f"{FIRST}.html"]
    assert "二次督办（连续 2 轮）" in two[f"{FIRST}.html"]
    assert "二次督办" not in two[f"{SIXTH}.html"].split("未整改到位的问题转入")[0]
    assert "首次督办" in two[f"{SIXTH}.html"]
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert saved["rounds"] == ["2024-09-30", "2024-12-20"]
    assert saved["notices"][f"school:{THIRD}"]["number"] == "贺教督办〔2024〕2号"


def test_a_problem_there_a_third_round_is_listed_for_interview(rounds, tmp_path, capsys):
    state = tmp_path / "numbering.json"
    for folder, out in zip(rounds, ("n1", "n2", "n3"), strict=True):
        files = _notices(capsys, folder, tmp_path / out, "--numbering", str(state))
    first = files[f"{FIRST}.html"]
    assert _number(first) == "贺教督办〔2024〕1号"
    assert '<span class="mark">第三次督办</span>' in first and '<span class="mark">约谈</span>' in first
    assert "第三次督办（连续 3 轮），约谈" in first and "已列入约谈名单" in first
    # two rounds only: 二次督办, no 约谈
    assert "二次督办（连续 2 轮）" in files[f"{SIXTH}.html"] and "约谈</span>" not in files[f"{SIXTH}.html"]
    index = files["index.html"]
    interviews = index.split("约谈名单")[1]
    assert "贺兰县第一小学" in interviews and "贺教督办〔2024〕1号" in interviews
    assert "贺兰县第六小学" not in interviews

    # the same round again: the same files, byte for byte, and the state unchanged
    before = state.read_bytes()
    again = _notices(capsys, rounds[2], tmp_path / "n3", "--numbering", str(state))
    assert again == files and state.read_bytes() == before

    # 约谈 after four rounds instead: kept in the state for the rounds to come
    later = _notices(capsys, rounds[2], tmp_path / "n3b", "--numbering", str(state), "--interview-after", "4")
    assert "约谈</span>" not in later[f"{FIRST}.html"] and "第三次督办" in later[f"{FIRST}.html"]
    assert json.loads(state.read_text(encoding="utf-8"))["settings"]["interview_after"] == 4


def test_the_state_lives_in_the_output_folder_by_default(rounds, tmp_path, capsys):
    r1, r2, _ = rounds
    out = tmp_path / "督办单"
    one = _notices(capsys, r1, out)
    assert "numbering.json" in one
    two = _notices(capsys, r2, out)
    assert _number(two[f"{FIRST}.html"]) == _number(one[f"{FIRST}.html"])
    assert "二次督办" in two[f"{FIRST}.html"]


def test_the_number_pattern_and_issuer_are_the_offices(rounds, tmp_path, capsys):
    state = tmp_path / "numbering.json"
    files = _notices(
        capsys,
        rounds[0],
        tmp_path / "n",
        "--numbering",
        str(state),
        "--number-pattern",
        "贺教督字〔{year}〕第{n:03d}号",
        "--issuer",
        "贺兰县人民政府教育督导室",
    )
    assert _number(files[f"{FIRST}.html"]) == "贺教督字〔2024〕第001号"
    assert '<div class="issuer">贺兰县人民政府教育督导室</div>' in files[f"{FIRST}.html"]
    # kept: the next round uses them without the options
    again = _notices(capsys, rounds[1], tmp_path / "n2", "--numbering", str(state))
    assert _number(again[f"{FIRST}.html"]) == "贺教督字〔2024〕第001号"
    assert '<div class="issuer">贺兰县人民政府教育督导室</div>' in again[f"{SIXTH}.html"]


def test_the_issuer_defaults_to_the_manifests_office(rounds, tmp_path, capsys):
    files = _notices(capsys, rounds[0], tmp_path / "n")
    assert '<div class="issuer">贺兰县教育督导室</div>' in files[f"{FIRST}.html"]  # submitted_by


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--number-pattern", "贺教督办〔{year}〕号"], "has no {n}"),
        (["--number-pattern", "{county}-{n}"], "knows only {year} and {n}"),
        (["--number-pattern", "{n"], "not a number pattern"),
        (["--interview-after", "1"], "greater than or equal to 2"),
    ],
    ids=["no-n", "unknown-field", "broken-brace", "interview-1"],
)
def test_bad_numbering_options_are_exit_2(rounds, tmp_path, capsys, args, text):
    out = tmp_path / "n"
    code = main(["notices", str(rounds[0]), "--output-dir", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2 and text in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("content", "where", "text"),
    [
        (
            '{"format": "supervise-rules notice numbering",\n "version": 1,\n "next": {"2024": "x"}}',
            ":3:",
            "not a notice numbering state (next.2024",
        ),
        ("{\n  not json", ":2:", "not valid JSON"),
        ('{"format": "something else"}', ":1:", "not a notice numbering state (format"),
    ],
    ids=["bad-next", "not-json", "other-file"],
)
def test_a_damaged_state_is_exit_2_and_left_alone(rounds, tmp_path, capsys, content, where, text):
    state = tmp_path / "numbering.json"
    state.write_text(content, encoding="utf-8")
    out = tmp_path / "n"
    code = main(["notices", str(rounds[0]), "--output-dir", str(out), "--numbering", str(state)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"error: {state}{where} ") and text in err
    assert state.read_text(encoding="utf-8") == content and not out.exists()


# --- routing ---------------------------------------------------------------------------------


def test_a_dropout_case_goes_to_its_school(rounds, tmp_path, capsys):
    files = _notices(capsys, rounds[0], tmp_path / "n")
    school = files[f"{CASE_SCHOOL}.html"]
    assert "及时劝返（DRP-06）" in school and f"学生（学籍号 {CASE}）" in school
    assert "105 天" in school and "≤ 30 天" in school  # the figure and the standard, with units
    assert CASE not in files["office.html"]
    # the office's own problems are on its internal list, not in any school's notice
    assert INSPECTOR in files["office.html"] and "督学履职" in files["office.html"]
    assert not any(
        INSPECTOR in text for name, text in files.items() if name not in ("office.html", "numbering.json")
    )


def test_a_case_without_a_school_goes_to_its_township(rounds, tmp_path, capsys):
    folder = rounds[0]
    cases = folder / "dropout_cases.csv"
    cases.write_text(
        cases.read_text(encoding="utf-8").replace(f"{CASE},{CASE_SCHOOL},", f"{CASE},,"), encoding="utf-8"
    )
    files = _notices(capsys, folder, tmp_path / "n")
    [township] = [text for name, text in files.items() if name.startswith("township-") and CASE in text]
    assert "洪广镇：" in township and _number(township).startswith("贺教督办〔2024〕")
    assert CASE not in files.get(f"{CASE_SCHOOL}.html", "")


def test_from_a_saved_report_cases_need_the_submission(rounds, tmp_path, capsys):
    report = tmp_path / "r1.json"
    main([str(rounds[0]), "--format", "json", "-o", str(report)])
    capsys.readouterr()
    files = _notices(capsys, report, tmp_path / "a")
    assert CASE in files["office.html"] and "未能确定责任学校" in files["office.html"]
    assert "--submission" in files["office.html"]
    files = _notices(capsys, report, tmp_path / "b", "--submission", str(rounds[0]))
    assert CASE in files[f"{CASE_SCHOOL}.html"] and CASE not in files["office.html"]
