"""Every quotation of the two articles is verbatim, in the section of the article it is attributed to.

The series quotes the two articles it answers (``../shared/articles/``, beside the repository) in one form:

* prose: ``「<verbatim text>」(<article> §<section>)``, where ``<article>`` is 次梯度优化 or 次梯度取值 and
  ``<section>`` the number its heading prints (``2.2``, ``6``, ``3.3.1``); ``…`` separates pieces that must
  appear in that order; whitespace and backticks are ignored on both sides;
* code cells holding Chinese text start with ``# as printed in <article> §<section>`` (the rest of the cell,
  or the triple-quoted string it holds, is a contiguous run of that section's lines, exactly) or
  ``# adapted from <article> §<section>`` (every line holding Chinese appears, stripped, in that section).

Outside those forms the only Chinese text allowed is the two articles' names. The articles are not part of
the repository: without them the test is skipped with a message, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTICLE_FILES = {
    "次梯度优化": "A_ci-tidu-youhua_image-synthesis.txt",
    "次梯度取值": "B_ci-tidu-quzhi_image-generation-reconstruction.txt",
}
NAMES = "|".join(ARTICLE_FILES)
QUOTE = re.compile(r"「(?P<text>[^「」]+)」\s*\((?P<article>" + NAMES + r")\s*§\s*(?P<section>\d+(?:\.\d+)*)\)")
MARKER = re.compile(
    r"^#\s*(?P<kind>as printed in|adapted from)\s+(?P<article>" + NAMES + r")\s*§\s*(?P<section>\d+(?:\.\d+)*)\b"
)
#: CJK ideographs, CJK symbols and punctuation (「」 among them), full-width forms
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
HEADING = re.compile(r"^#+\s*(?P<number>\d+(?:\.\d+)*)?\.?\s*(?P<title>.*)$")


def articles_folder() -> Path | None:
    """The folder holding the two articles: ``ARTICLES_PATH``, or ``shared/articles`` beside the repository."""
    candidates = [os.environ.get("ARTICLES_PATH"),
                  *(str(p / "shared" / "articles") for p in (ROOT.parent, ROOT.parent.parent))]
    for candidate in candidates:
        if candidate and all((Path(candidate) / name).is_file() for name in ARTICLE_FILES.values()):
            return Path(candidate)
    return None


def split_sections(text: str) -> dict[str, list[str]]:
    """Map each section number to its lines (a section runs to the next heading; sub-sections are added to it)."""
    spans: list[tuple[str | None, list[str]]] = [(None, [])]
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        if match and line.startswith("#"):
            spans.append((match.group("number"), []))
        else:
            spans[-1][1].append(line)
    sections: dict[str, list[str]] = {}
    for number, lines in spans:
        if number is None:
            continue
        parts = number.split(".")
        for depth in range(1, len(parts) + 1):
            sections.setdefault(".".join(parts[:depth]), []).extend(lines)
    return sections


def squash(text: str) -> str:
    return re.sub(r"[\s`]+", "", text)


def code_lines(lines: list[str]) -> list[str]:
    """The lines inside the section's fenced code blocks, trailing spaces removed."""
    out, inside = [], False
    for line in lines:
        if line.startswith("```"):
            inside = not inside
            continue
        if inside:
            out.append(line.rstrip())
    return out


@pytest.fixture(scope="module")
def articles() -> dict[str, dict[str, list[str]]]:
    folder = articles_folder()
    if folder is None:
        message = "the two articles are not beside the repository (shared/articles/); set ARTICLES_PATH"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return {name: split_sections((folder / file).read_text(encoding="utf-8")) for name, file in ARTICLE_FILES.items()}


def texts() -> list[tuple[str, str, str]]:
    """(where, kind, text) for README.md, docs/*.md and every notebook cell."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        found.append((str(path.relative_to(ROOT)), "markdown", path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            kind = "code" if cell["cell_type"] == "code" else "markdown"
            found.append((f"{path.name} cell {i}", kind, "".join(cell["source"])))
    return found


def check_quote(articles, article: str, section: str, quoted: str) -> str | None:
    """None when ``quoted`` is found in that section, else what is wrong."""
    lines = articles[article].get(section)
    if lines is None:
        return f"{article} has no section §{section}"
    body = squash("\n".join(lines))
    position = 0
    for piece in (p for p in (squash(q) for q in quoted.split("…")) if p):
        found = body.find(piece, position)
        if found < 0:
            elsewhere = any(piece in squash("\n".join(v)) for v in articles[article].values())
            where = "elsewhere in the article" if elsewhere else "nowhere in it"
            return f"「{quoted}」 is not in {article} §{section} ('{piece[:40]}' is {where})"
        position = found + len(piece)
    return None


def check_markdown(articles, text: str) -> list[str]:
    problems = []
    for match in QUOTE.finditer(text):
        problem = check_quote(articles, match["article"], match["section"], match["text"])
        if problem:
            problems.append(problem)
    rest = QUOTE.sub(" ", text)
    for name in ARTICLE_FILES:
        rest = rest.replace(name, " ")
    for match in CHINESE.finditer(rest):
        start = max(match.start() - 30, 0)
        problems.append(f"Chinese text outside a 「…」(article §n) quotation: …{rest[start:match.end() + 30]!r}")
        break
    return problems


def check_code(articles, text: str) -> list[str]:
    lines = text.splitlines()
    marker = next((MARKER.match(line) for line in lines if MARKER.match(line)), None)
    if marker is None:
        if CHINESE.search(text):
            return [("a code cell holding Chinese text must start with '# as printed in <article> §n' "
                     "or '# adapted from <article> §n'")]
        return []
    article, section = marker["article"], marker["section"]
    sec = articles[article].get(section)
    if sec is None:
        return [f"{article} has no section §{section}"]
    if marker["kind"] == "adapted from":
        stripped = {line.strip() for line in sec}
        return [f"line not in {article} §{section}: {line.strip()!r}" for line in lines
                if CHINESE.search(line) and not MARKER.match(line) and line.strip() not in stripped]
    body = [line.rstrip() for line in lines if not MARKER.match(line) and not line.lstrip().startswith("# NBVAL")]
    strings = re.findall(r'("""|\'\'\')(.*?)\1', "\n".join(body), flags=re.S)
    if strings:
        body = [line.rstrip() for line in strings[0][1].splitlines()]
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    printed = code_lines(sec)
    n = len(body)
    if not n or not any(printed[i:i + n] == body for i in range(len(printed) - n + 1)):
        first_bad = next((line for line in body if line not in printed), None)
        detail = (f"first line not printed there: {first_bad!r}" if first_bad is not None
                  else "the lines are there but not as one contiguous run")
        return [f"the cell marked 'as printed in {article} §{section}' is not that section's code verbatim ({detail})"]
    return []


def test_every_quotation_is_verbatim_in_the_article_it_is_attributed_to(articles):
    problems = []
    for where, kind, text in texts():
        found = check_code(articles, text) if kind == "code" else check_markdown(articles, text)
        problems += [f"{where}: {p}" for p in found]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_misquotes_misattributions_and_edited_code(articles):
    """The checks above can fail: a changed word, the wrong article, the wrong section, unmarked or edited code."""
    good = "「能够避免陷入局部最优」(次梯度优化 §6)"
    assert check_markdown(articles, good) == []
    assert check_markdown(articles, "「能够避免陷入局部 最优」(次梯度优化 §6)") == []  # whitespace is ignored
    assert check_markdown(articles, "「能够避免陷入全局最优」(次梯度优化 §6)")  # a changed word
    assert check_markdown(articles, "「能够避免陷入局部最优」(次梯度取值 §6)")  # the other article
    assert check_markdown(articles, "「能够避免陷入局部最优」(次梯度优化 §2)")  # the wrong section
    assert check_markdown(articles, "「次梯度优化…能够避免陷入局部最优」(次梯度优化 §6)") == []  # pieces in order
    # out of order
    assert check_markdown(articles, "「能够避免陷入局部最优…次梯度优化在图像合成中的优势」(次梯度优化 §6)")
    assert check_markdown(articles, "它说 能够避免") and check_markdown(articles, "(次梯度优化 is a name)") == []
    printed = "# as printed in 次梯度优化 §4.1\n# 生成器模型\ndef build_generator():\n    model = Sequential()"
    assert check_code(articles, printed) == []
    assert check_code(articles, printed.replace("Sequential()", "keras.Sequential()"))  # edited
    assert check_code(articles, printed.replace("§4.1", "§4.2"))  # no such section
    assert check_code(articles, "# 生成器模型\nx = 1")  # Chinese without a marker
    assert check_code(articles, '# as printed in 次梯度优化 §4.1\nsrc = """\nimport tensorflow as tf\n"""') == []
    assert check_code(articles, "# adapted from 次梯度优化 §4.1\n# 生成器模型\nmodel = keras.Sequential()") == []
    assert check_code(articles, "# adapted from 次梯度优化 §4.1\n# 生成器模型（修好了）")  # noqa: RUF001 -- full-width parentheses on purpose
