"""CI report formats, each checked against the shape its consumer documents:
SARIF 2.1.0 (OASIS schema, plus what GitHub code scanning reads), GitHub workflow
commands and step summary, GitLab Code Quality, reviewdog rdjson."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import PRELUDE, ROOT, analyze, run_cli

from signlint import __version__
from signlint.checks import RULES
from signlint.front.libclang import libclang_version
from signlint.report.fingerprint import fingerprints
from signlint.report.formats import (
    FORMATS,
    escape_data,
    escape_property,
    format_github,
    format_gitlab,
    format_rdjson,
    format_sarif,
    github_summary,
    write_github_summary,
)
from signlint.report.output import use_color
from signlint.report.rule_docs import rule_document
from signlint.run.fix import apply_edits

SARIF_SCHEMA = ROOT.parent / "shared/data/sarif-schema-2.1.0.json"

# Lines after PRELUDE (counted from 1):
# 1 plain fix; 2 late cast (two edits); 3 non-ASCII before the shift; 4-5 a macro
# (finding with a note); 6-8 a fix left to the author, no known end.
CODE = """u64 a(u8 b) { return b << 24; }
u64 c(u8 b) { return (u64)(b << 24); }
u64 e(u8 b) { /* é𐐀 */ return b << 24; }
#define SHL(x) ((x) << 24)
u64 d(u8 v) { return SHL(v); }
static inline u16 rd(const void *a) { return *(const u16 *)a; }
#define rd rd
unsigned long h(const void *p) { return rd(p) << 16; }
"""
FIXED = {  # the line each applicable fix produces
    "a": "u64 a(u8 b) { return (u64)b << 24; }",
    "c": "u64 c(u8 b) { return ((u64)b << 24); }",
    "e": "u64 e(u8 b) { /* é𐐀 */ return (u64)b << 24; }",
    "d": "#define SHL(x) ((u64)(x) << 24)",
}
SHIFT = PRELUDE.count("\n")


def project(tmp_path, code=CODE, above="", name="src/f.c"):
    """Write PRELUDE + above + code under tmp_path; return (findings by function, path)."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PRELUDE + above + code, encoding="utf-8")
    findings = analyze([path]).findings
    return findings, path


@pytest.fixture
def sample(tmp_path):
    findings, path = project(tmp_path)
    assert sorted(f.function for f in findings) == ["a", "c", "d", "e", "h"]
    return findings, path, str(tmp_path)


def by_function(findings):
    return {f.function: f for f in findings}


def line_of(path: Path, number: int) -> str:
    return path.read_text(encoding="utf-8").split("\n")[number - 1]


def utf16_column(text: str, byte_column: int) -> int:
    prefix = text.encode()[: byte_column - 1].decode()
    return len(prefix.encode("utf-16-le")) // 2 + 1


# ---------------------------------------------------------------- SARIF


def sarif(findings, root):
    return json.loads(format_sarif(findings, root))


def test_sarif_validates_against_oasis_schema(sample):
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"SARIF schema not found at {SARIF_SCHEMA} (expected beside the repository, in ../shared/data)")
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the 'test' extra")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    findings, _, root = sample
    document = sarif(findings, root)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    # The schema has teeth: a malformed result is refused.
    document["runs"][0]["results"][0]["level"] = "severe"
    assert list(validator.iter_errors(document))
    assert list(validator.iter_errors(sarif([], root))) == []


def test_sarif_tool_rules_and_run(sample):
    findings, _, root = sample
    document = sarif(findings, root)
    assert document["$schema"].endswith("sarif-schema-2.1.0.json") and document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    run = document["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "signlint"
    assert driver["version"] == driver["semanticVersion"] == __version__
    assert driver["informationUri"] == "https://pypi.org/project/signlint/"
    assert [r["id"] for r in driver["rules"]] == list(RULES)
    for rule in driver["rules"]:
        module = RULES[rule["id"]]
        assert rule["name"] == module.NAME
        assert rule["shortDescription"]["text"] == module.SUMMARY
        assert rule["fullDescription"]["text"]
        assert rule["help"]["markdown"] == rule_document(rule["id"]) and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] == "warning"
        assert rule["properties"]["tags"] and all(isinstance(t, str) for t in rule["properties"]["tags"])
    assert run["properties"]["libclangVersion"] == libclang_version()
    assert run["tool"]["extensions"][0]["name"] == "libclang"
    assert run["columnKind"] == "utf16CodeUnits"
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == Path(root).resolve().as_uri() + "/"


def test_sarif_results_as_github_reads_them(sample):
    findings, path, root = sample
    run = sarif(findings, root)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = {r["locations"][0]["logicalLocations"][0]["name"]: r for r in run["results"]}
    assert len(run["results"]) == len(findings)
    for function, finding in by_function(findings).items():
        result = results[function]
        assert result["ruleId"] == finding.rule == rules[result["ruleIndex"]]["id"]
        assert result["level"] == "warning"
        assert result["message"]["text"].startswith(finding.message)
        physical = result["locations"][0]["physicalLocation"]
        artifact = physical["artifactLocation"]
        assert artifact == {"uri": "src/f.c", "uriBaseId": "%SRCROOT%"}
        region = physical["region"]
        text = line_of(path, finding.position.line)
        assert region["startLine"] == region["endLine"] == finding.position.line
        assert region["startColumn"] == utf16_column(text, finding.position.column)
        if finding.end is None:
            assert region["endColumn"] == region["startColumn"] + 1
        else:
            assert region["endColumn"] == utf16_column(text, finding.end.column)
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["signlint/v1"])
    # Columns count UTF-16 code units: 'é' is 2 bytes but 1 unit, '𐐀' 4 bytes but 2 units.
    e = by_function(findings)["e"]
    assert results["e"]["locations"][0]["physicalLocation"]["region"]["startColumn"] == e.position.column - 1 - 2
    # Notes become related locations.
    note = by_function(findings)["d"].notes[0]
    related = results["d"]["relatedLocations"]
    assert related[0]["message"]["text"] == note.message
    assert related[0]["physicalLocation"]["region"]["startLine"] == note.position.line
    assert related[0]["physicalLocation"]["artifactLocation"]["uri"] == "src/f.c"
    # A fix left to the author is described, not offered as an artifact change.
    assert "fixes" not in results["h"] and "by hand" in results["h"]["message"]["text"]


def test_sarif_uri_is_percent_encoded_relative(tmp_path):
    findings, _ = project(tmp_path, CODE.splitlines()[0] + "\n", name="my src/f#1.c")
    result = sarif(findings, str(tmp_path))["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20src/f%231.c" and unquote(uri) == "my src/f#1.c"


def test_sarif_fingerprints_unchanged_by_lines_added_above(tmp_path):
    def prints(above):
        findings, _ = project(tmp_path, above=above)
        run = sarif(findings, str(tmp_path))["runs"][0]
        return {r["locations"][0]["logicalLocations"][0]["name"]:
                (r["partialFingerprints"]["signlint/v1"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                for r in run["results"]}

    before, after = prints(""), prints("/* moved */\n\n\n")
    assert before.keys() == after.keys()
    for function in before:
        assert before[function][0] == after[function][0]
        assert after[function][1] == before[function][1] + 3
    assert len({fp for fp, _ in before.values()}) == len(before)


def apply_sarif_replacements(text: str, replacements, by_bytes: bool) -> str:
    """Apply a SARIF artifactChange the way a consumer would: by line/column in
    UTF-16 code units (run.columnKind) or by byteOffset/byteLength."""
    data = text.encode()
    if by_bytes:
        spans = [(r["deletedRegion"]["byteOffset"], r["deletedRegion"]["byteOffset"] + r["deletedRegion"]["byteLength"],
                  r.get("insertedContent", {}).get("text", "").encode()) for r in replacements]
    else:
        starts = [0] + [i + 1 for i, ch in enumerate(data) if ch == 10]

        def offset(line, column):
            line_bytes = data[starts[line - 1]:]
            units = 0
            for i, ch in enumerate(line_bytes.decode(errors="replace")):
                if units == column - 1:
                    return starts[line - 1] + len(line_bytes.decode(errors="replace")[:i].encode())
                units += len(ch.encode("utf-16-le")) // 2
            raise AssertionError("column past the end of the file")

        spans = []
        for r in replacements:
            region = r["deletedRegion"]
            spans.append((offset(region["startLine"], region["startColumn"]),
                          offset(region["endLine"], region["endColumn"]),
                          r.get("insertedContent", {}).get("text", "").encode()))
    out, cursor = [], 0
    for start, end, new in sorted(spans):
        assert start >= cursor
        out += [data[cursor:start], new]
        cursor = end
    out.append(data[cursor:])
    return b"".join(out).decode()


@pytest.mark.parametrize("by_bytes", [False, True], ids=["line-column", "byte-offset"])
def test_sarif_fixes_apply(sample, by_bytes):
    findings, path, root = sample
    original = path.read_text(encoding="utf-8")
    results = {r["locations"][0]["logicalLocations"][0]["name"]: r
               for r in sarif(findings, root)["runs"][0]["results"]}
    for function, want in FIXED.items():
        finding = by_function(findings)[function]
        (fix,) = results[function]["fixes"]
        assert fix["description"]["text"].startswith(finding.fix.description)
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == {"uri": "src/f.c", "uriBaseId": "%SRCROOT%"}
        fixed = apply_sarif_replacements(original, change["replacements"], by_bytes)
        assert fixed == apply_edits(original.encode(), list(finding.fix.edits)).decode()
        line = finding.position.line
        assert fixed.split("\n")[line - 1] == want
    assert len(results["c"]["fixes"][0]["artifactChanges"][0]["replacements"]) == 2


# ---------------------------------------------------------------- GitHub


def unescape(text: str, props: bool) -> str:
    """What the Actions runner does when it reads a command (runner's ActionCommand)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if props else []) + [("%25", "%")]
    for code, ch in pairs:
        text = text.replace(code, ch)
    return text


TRICKY = ["100%", "%0A literal", "a:b,c", "line1\nline2\r\nline3", "%25%", "::warning file=x::y", "", "é, 𐐀: %"]


@pytest.mark.parametrize("text", TRICKY)
def test_escape_data(text):
    escaped = escape_data(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert unescape(escaped, props=False) == text


@pytest.mark.parametrize("text", TRICKY)
def test_escape_property(text):
    escaped = escape_property(text)
    assert not set(escaped) & set("\n\r,:")
    assert unescape(escaped, props=True) == text


def test_escape_exact():
    assert escape_data("50% a:b,c\r\nd") == "50%25 a:b,c%0D%0Ad"
    assert escape_property("50% a:b,c\r\nd") == "50%25 a%3Ab%2Cc%0D%0Ad"
    assert escape_data("%0A") == "%250A"


def test_github_exact_line(tmp_path):
    findings, _ = project(tmp_path, CODE.splitlines()[0] + "\n")
    (finding,) = findings
    line = SHIFT + 1
    assert format_github(findings, str(tmp_path)) == (
        f"::warning file=src/f.c,line={line},col=22,endLine={line},endColumn=29,title=SL001::"
        f"{escape_data(finding.message)}%0Afix: cast before shifting: (u64)b << 24\n")


def test_github_commands(sample):
    findings, path, root = sample
    out = format_github(findings, root)
    lines = out.splitlines()
    assert out.endswith("\n") and len(lines) == len(findings)
    pattern = re.compile(r"::warning file=([^,:]*),line=(\d+),col=(\d+),endLine=(\d+),endColumn=(\d+),"
                         r"title=([^,:]*)::(.*)")
    for finding, command in zip(findings, lines, strict=True):
        m = pattern.fullmatch(command)
        assert m, command
        file, line, col, end_line, end_col, title, message = m.groups()
        assert (file, int(line), title) == ("src/f.c", finding.position.line, finding.rule)
        assert int(col) == utf16_column(line_of(path, finding.position.line), finding.position.column)
        assert int(end_line) == int(line) and int(end_col) > int(col)
        assert unescape(message, props=False).split("\n")[0] == finding.message
        assert "\nfix: " in unescape(message, props=False)
    d = by_function(findings)["d"]
    command = lines[findings.index(d)]
    assert command.endswith(f"%0Anote: src/f.c:{d.notes[0].position.line}: {escape_data(d.notes[0].message)}")


def test_github_property_values_escaped(tmp_path):
    findings, _ = project(tmp_path, CODE.splitlines()[0] + "\n", name="a,b:c%d.c")
    command = format_github(findings, str(tmp_path))
    assert command.startswith("::warning file=a%2Cb%3Ac%25d.c,line=")
    message = dataclasses.replace(findings[0], message="50% of a:b,c\nsecond line", fix=None)
    command = format_github([message], str(tmp_path))
    assert command.endswith("::50%25 of a:b,c%0Asecond line\n")


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_github_summary_appends_one_row_per_finding(sample, tmp_path):
    findings, _, root = sample
    odd = dataclasses.replace(findings[0], message="a | b <c> *d*\nnext")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    write_github_summary([*findings, odd], root, str(summary))
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    header, *rows = table_rows(text)
    assert header == ["Location", "Rule", "Message", "Fix"]
    assert len(rows) == len(findings) + 1 and all(len(row) == 4 for row in rows)
    for finding, row in zip(findings, rows, strict=False):
        assert row[0] == f"`src/f.c:{finding.position.line}`" and row[1] == finding.rule
        assert row[3].startswith(finding.fix.description)
    assert rows[findings.index(by_function(findings)["h"])][3].endswith("(by hand)")
    assert rows[-1][2] == r"a \| b \<c\> \*d\*<br>next"
    write_github_summary([], root, str(summary))
    assert summary.read_text(encoding="utf-8").endswith("no findings\n\n")


def test_github_summary_stays_under_limit(sample):
    findings, _, root = sample
    text = github_summary(findings * 50, root, limit=4000)
    assert len(text.encode()) <= 4000 and "more not listed" in text


# ---------------------------------------------------------------- GitLab

SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
CATEGORIES = {"Bug Risk", "Clarity", "Compatibility", "Complexity", "Duplication", "Performance", "Security", "Style"}


def test_gitlab_code_quality_shape(sample):
    findings, _, root = sample
    issues = json.loads(format_gitlab(findings, root))
    assert isinstance(issues, list) and len(issues) == len(findings)
    table = fingerprints(findings, root)
    for finding, issue in zip(findings, issues, strict=True):
        # GitLab's required fields, with their documented types.
        assert isinstance(issue["description"], str) and issue["description"].startswith(finding.message)
        assert issue["check_name"] == finding.rule
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"] == table[finding.key]
        assert issue["severity"] in SEVERITIES and issue["severity"] == "major"
        location = issue["location"]
        assert location["path"] == "src/f.c"
        assert type(location["lines"]["begin"]) is int and location["lines"]["begin"] == finding.position.line
        # Optional Code Climate fields, when present, use the spec's values.
        assert issue.get("type", "issue") == "issue"
        assert set(issue.get("categories", [])) <= CATEGORIES
    assert json.loads(format_gitlab([], root)) == []


def test_gitlab_fingerprints_stable_and_unique(tmp_path):
    repeated = CODE + "u64 r(u8 b) { u64 x = b << 24; x |= b << 24; return x; }\n"

    def prints(above):
        findings, _ = project(tmp_path, repeated, above=above)
        return [(i["fingerprint"], i["location"]["lines"]["begin"])
                for i in json.loads(format_gitlab(findings, str(tmp_path)))]

    before, after = prints(""), prints("\n\n/* two lines */\n")
    assert [fp for fp, _ in before] == [fp for fp, _ in after]
    assert [line + 3 for _, line in before] == [line for _, line in after]
    assert len({fp for fp, _ in before}) == len(before) == 7


# ---------------------------------------------------------------- reviewdog


def check_position(p):
    assert set(p) <= {"line", "column"} and type(p["line"]) is int and p["line"] >= 1
    assert type(p.get("column", 1)) is int and p.get("column", 1) >= 1


def check_range(r):
    assert set(r) <= {"start", "end"}
    check_position(r["start"])
    if "end" in r:
        check_position(r["end"])
        assert (r["end"]["line"], r["end"].get("column", 0)) >= (r["start"]["line"], r["start"].get("column", 0))


RD_SEVERITIES = {"UNKNOWN_SEVERITY", "ERROR", "WARNING", "INFO"}


def test_rdjson_shape(sample):
    findings, path, root = sample
    document = json.loads(format_rdjson(findings, root))
    assert set(document) <= {"diagnostics", "source", "severity"}
    assert document["source"]["name"] == "signlint" and isinstance(document["source"]["url"], str)
    assert document["severity"] in RD_SEVERITIES
    diagnostics = document["diagnostics"]
    assert len(diagnostics) == len(findings)
    allowed = {"message", "location", "severity", "source", "code", "suggestions", "original_output",
               "related_locations"}
    for finding, d in zip(findings, diagnostics, strict=True):
        assert set(d) <= allowed
        assert isinstance(d["message"], str) and d["message"].startswith(finding.message)
        assert d["severity"] == "WARNING"
        assert d["code"] == {"value": finding.rule, "url": d["code"]["url"]} and d["code"]["url"].startswith("https://")
        assert d["location"]["path"] == "src/f.c"
        check_range(d["location"]["range"])
        start = d["location"]["range"]["start"]
        # Columns count UTF-8 bytes, as in signlint's own positions.
        assert (start["line"], start["column"]) == (finding.position.line, finding.position.column)
        for s in d.get("suggestions", []):
            assert set(s) == {"range", "text"} and isinstance(s["text"], str)
            check_range(s["range"])
        for related in d.get("related_locations", []):
            assert isinstance(related["message"], str) and related["location"]["path"] == "src/f.c"
            check_range(related["location"]["range"])
    by_name = dict(zip([f.function for f in findings], diagnostics, strict=True))
    assert "suggestions" not in by_name["h"]
    h_range = by_name["h"]["location"]["range"]
    assert h_range["end"]["column"] == h_range["start"]["column"] + 1
    note = by_function(findings)["d"].notes[0]
    assert by_name["d"]["related_locations"][0]["location"]["range"]["start"]["line"] == note.position.line


def apply_suggestion(data: bytes, suggestion) -> bytes:
    starts = [0] + [i + 1 for i, ch in enumerate(data) if ch == 10]
    r = suggestion["range"]
    begin = starts[r["start"]["line"] - 1] + r["start"]["column"] - 1
    end = starts[r["end"]["line"] - 1] + r["end"]["column"] - 1
    return data[:begin] + suggestion["text"].encode() + data[end:]


def test_rdjson_suggestions_apply(sample):
    findings, path, root = sample
    data = path.read_bytes()
    diagnostics = json.loads(format_rdjson(findings, root))["diagnostics"]
    for finding, d in zip(findings, diagnostics, strict=True):
        if finding.function not in FIXED:
            continue
        # One suggestion per fix: reviewdog posts each suggestion on its own.
        (suggestion,) = d["suggestions"]
        fixed = apply_suggestion(data, suggestion)
        assert fixed == apply_edits(data, list(finding.fix.edits))
        assert fixed.decode().split("\n")[finding.position.line - 1] == FIXED[finding.function]
        # reviewdog's GitHub reporter needs the suggestion on the diagnostic's lines.
        assert suggestion["range"]["start"]["line"] == d["location"]["range"]["start"]["line"]


def test_formats_table_and_empty_reports(tmp_path):
    assert set(FORMATS) == {"sarif", "github", "gitlab", "rdjson"}
    assert FORMATS["sarif"] is format_sarif
    for name, formatter in FORMATS.items():
        text = formatter([], str(tmp_path))
        assert isinstance(text, str)
        if name != "github":
            json.loads(text)
    assert format_github([], str(tmp_path)) == ""


def test_the_caret_lines_up_after_non_ascii_characters(tmp_path):
    """libclang's columns count bytes; the caret counts what the terminal shows
    (é is one column and two bytes, 名 two columns and three bytes)."""
    line = 'uint64_t f(uint8_t b) { const char *s = "é名"; return b << 24; }'
    (tmp_path / "u.c").write_text("#include <stdint.h>\n" + line + "\n")
    out = run_cli("check", "--no-cache", "u.c", cwd=tmp_path).stdout.splitlines()
    assert out[1] == line
    shown_column = line.index("b << 24") + 1  # 名 is wide: one more column
    assert out[2] == " " * shown_column + "^" + "~" * (len("b << 24") - 1)



@pytest.mark.parametrize("before", [5000, 30])
def test_a_long_line_is_quoted_around_the_finding_with_the_caret_under_it(tmp_path, before):
    """A generated table or a macro-expanded line of 10,000 bytes is cut to the finding
    and 60 bytes around it, '...' marking the cuts; a short line is quoted whole."""
    filler = " + ".join(["c"] * (before // 4))
    line = f"uint64_t f(uint8_t b, int c) {{ int s = {filler}; return (b << 24) + s + {filler}; }}"
    (tmp_path / "u.c").write_text("#include <stdint.h>\n" + line + "\n")
    out = run_cli("check", "--no-cache", "u.c", cwd=tmp_path).stdout.splitlines()
    quoted, caret = out[1], out[2]
    if len(line) <= 200:
        assert quoted == line
    else:
        assert quoted.startswith("...") and quoted.endswith("...") and len(quoted) <= 200 + 6
        assert quoted[3:-3] in line
    at = caret.index("^")
    assert quoted[at:].startswith("b << 24") and caret[at:] == "^" + "~" * (len("b << 24") - 1)

class _Terminal:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("mode", "environ", "stream", "expected"), [
    ("auto", {}, _Terminal(), True),
    ("auto", {"NO_COLOR": "1"}, _Terminal(), False),
    ("auto", {"NO_COLOR": ""}, _Terminal(), True),  # no-color.org: only a non-empty value counts
    ("auto", {"TERM": "dumb"}, _Terminal(), False),
    ("auto", {}, None, False),  # a pipe, a file
    ("always", {"NO_COLOR": "1"}, None, True),
    ("never", {}, _Terminal(), False),
])
def test_colour_on_a_terminal_unless_no_color(mode, environ, stream, expected):
    assert use_color(mode, stream, environ) is expected


def test_colour_marks_the_warning_and_the_caret_only_when_asked(tmp_path):
    (tmp_path / "bad.c").write_text("#include <stdint.h>\nuint64_t f(uint8_t b) { return b << 24; }\n")
    plain = run_cli("check", "--no-cache", "bad.c", cwd=tmp_path).stdout
    painted = run_cli("check", "--no-cache", "--color", "always", "bad.c", cwd=tmp_path).stdout
    assert "\033[" not in plain
    assert "\033[1;35mwarning:\033[0m" in painted and "\033[1;32m" in painted.splitlines()[2]
    assert re.sub(r"\033\[[0-9;]*m", "", painted) == plain


class _Metadata:
    def __init__(self, urls):
        self.urls = urls

    def get_all(self, key):
        return self.urls if key == "Project-URL" else None


@pytest.mark.parametrize(("urls", "expected"), [
    (["Homepage, https://example.org", "Source, https://github.com/acme/signlint/"],
     f"https://github.com/acme/signlint/blob/v{__version__}/rules/SL001.md"),
    (["Repository, https://gitlab.com/acme/signlint"],
     f"https://gitlab.com/acme/signlint/-/blob/v{__version__}/rules/SL001.md"),
    ([], "https://pypi.org/project/signlint/"),  # no repository named: the package page
    (["Source, file:///home/me/signlint"], "https://pypi.org/project/signlint/"),
])
def test_rule_links_lead_to_the_rule_document_in_the_repository_the_package_names(sample, monkeypatch, urls,
                                                                                     expected):
    import signlint.report.formats as formats

    monkeypatch.setattr(formats.importlib.metadata, "metadata", lambda name: _Metadata(urls))
    formats._repository.cache_clear()
    try:
        findings, _, root = sample
        sarif = json.loads(format_sarif(findings, root))
        rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
        rdjson = json.loads(format_rdjson(findings, root))["diagnostics"]
    finally:
        formats._repository.cache_clear()
    assert rules["SL001"]["helpUri"] == expected
    assert {d["code"]["url"] for d in rdjson if d["code"]["value"] == "SL001"} == {expected}
    # what the link names is there: rules/<code>.md at the top of the source tree
    assert all((ROOT / "rules" / f"{code}.md").is_file() for code in RULES)
