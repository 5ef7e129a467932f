"""The bibliography (every work the package cites), its BibTeX, citation coverage, and the
manuscript skeleton filled from real fitted tables."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from nrel_research import sem
from nrel_research.datasets import load_dataset
from nrel_research.exceptions import FrameworkError, NrelError
from nrel_research.report import (
    MISSING_TABLE,
    apa,
    fit_table,
    manuscript,
    measurement_table,
    references,
    render_manuscript,
    structural_table,
    to_bibtex,
)
from nrel_research.report.__main__ import write_papers
from nrel_research.report.bibliography import (
    REFERENCES_FILE,
    bib_entries,
    cite,
    find_citations,
    load_references,
    resolve_citation,
)

# Author-year look-alikes in the scanned files that are not citations, with the reason.
ALLOW = {
    ("Surname", "2001"): "placeholder in the citation finder's own documentation",
    ("Nobody", "2001"): "the unresolvable example in resolve_citation's docstring",
}


def _scanned_texts(root):
    """(relative path, text) of every file whose citations must resolve."""
    paths = [
        p
        for p in sorted((root / "nrel_research").rglob("*"))
        if p.suffix in {".py", ".yaml", ".md"} and "__pycache__" not in p.parts
    ]
    paths += [root / "README.md", *sorted((root / "papers").glob("*.md"))]
    for p in paths:
        yield p.relative_to(root).as_posix(), p.read_text(encoding="utf-8")
    for nb in sorted((root / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        yield nb.relative_to(root).as_posix(), "\n".join("".join(c["source"]) for c in cells)


# -- the citation finder ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("as shown by Kline (2016).", [("Kline", "2016")]),
        ("(Kline, 2016)", [("Kline", "2016")]),
        ("(Fornell & Larcker, 1981)", [("Fornell", "1981")]),
        ("Fornell and Larcker (1981) proposed", [("Fornell", "1981")]),
        ("(Henseler et al., 2015)", [("Henseler", "2015")]),
        (
            "Henseler et al. (2015) and (Jarvis et al. 2003: formative)",
            [("Henseler", "2015"), ("Jarvis", "2003")],
        ),
        ("(Williams, Hartman & Cavazotte, 2010)", [("Williams", "2010")]),
        (
            "(Satorra & Bentler, 2001a; Holm's (1979) rule)",
            [("Satorra", "2001a"), ("Holm", "1979")],
        ),
        ("(Bentler & Chou,\n1987)", [("Bentler", "1987")]),
        ('"(Ananda, Hernández-García & "\n    "Lamberti, 2016)."', [("Ananda", "2016")]),
        ("Armstrong &amp; Overton, 1977", [("Armstrong", "1977")]),
        ("(after Tafesse & Wien 2018).", [("Tafesse", "2018")]),
        ("(lavaan internals, Savalei 2010)", [("Savalei", "2010")]),
        ("Yuan, K.-H., & Bentler, P. M. (2000). Three", [("Yuan", "2000")]),
        (
            "Roodman, D., MacKinnon, J. G., Nielsen, M. Ø., & Webb, M. D. (2019).",
            [("Roodman", "2019")],
        ),
        ("United Nations Statistics Division (2008). ISIC", [("Division", "2008")]),
        (
            "Muthén, B. O., du Toit, S. H. C., & Spisic, D. (1997). *Robust",
            [("Muthén", "1997")],
        ),
        # not citations
        ("Python 3.11 or lavaan 0.6.14, psych 2.2.9 and semTools 0.5-6", []),
        ("ISIC Rev.4 section C; ISIC Revision 4", []),
        ("Our 2025 sustainability report; the Summit 2024 keynote", []),
        ("date_time=(1980, 1, 1, 0, 0, 0); seed=2016", []),
    ],
)
def test_find_citations_recognises_the_citation_forms(text, expected):
    found = find_citations(text)
    assert list(zip(found["surname"], found["year"], strict=True)) == expected


def test_resolve_citation_handles_corporate_authors_eponyms_and_misses():
    assert resolve_citation("Division", "2008") == "isic4"
    assert resolve_citation("Benjamini-Hochberg", 1995) == "benjamini_hochberg1995"
    assert resolve_citation("Brosseau-Liard", 2014) == "brosseau_liard_savalei2014"
    assert resolve_citation("Kline", 2015) is None


def test_every_citation_in_the_package_has_an_entry(root):
    """Every author-year citation in code, data files, README, notebooks and papers resolves."""
    problems, seen = [], set()
    for rel, text in _scanned_texts(root):
        for row in find_citations(text).itertuples():
            pair = (row.surname, row.year)
            seen.add(pair)
            if pair in ALLOW:
                continue
            key = resolve_citation(*pair)
            if key is None or "|" in key:
                problems.append(f"{rel}:{row.line}: {row.match!r} -> {key}")
    assert not problems, (
        "citations without a (unique) bibliography entry; add them to "
        "nrel_research/report/references.yaml and run `python -m nrel_research.report papers`:\n"
        + "\n".join(problems)
    )
    assert len(seen) > 50  # the scanner really reads the package
    unused = set(ALLOW) - seen
    assert not unused, f"allow-list entries no longer needed: {unused}"


# -- the bibliography ------------------------------------------------------------------------


def test_references_table_lists_every_source_once():
    refs = references()
    assert list(refs.columns) == [
        "key",
        "type",
        "authors",
        "year",
        "title",
        "container",
        "volume",
        "issue",
        "pages",
        "doi",
        "url",
        "source",
        "verified",
    ]
    assert refs["key"].is_unique
    assert refs["verified"].map(type).eq(bool).all()
    # every framework, item-bank and methods reference is there
    from nrel_research import framework, instruments

    keys = set(refs["key"])
    assert {r.key for r in framework.load().references} <= keys
    bank_keys = {r.key for r in instruments.load_item_bank().references} - {"this_project"}
    assert bank_keys <= keys
    assert {e.key for e in load_references()} <= keys
    assert "this_project" not in keys  # a marker for "no published source", not a work
    for col in ("authors", "title"):
        assert refs[col].str.len().gt(0).all(), col
    assert refs["year"].between(1900, 2030).all()
    assert set(refs["source"]) <= {
        "framework",
        "framework, item_bank",
        "item_bank",
        "item_bank, methods",
        "methods",
    }


def test_structured_item_bank_sources_agree_with_their_free_text_citation():
    entries = bib_entries()
    checked = 0
    for e in entries.values():
        if "item_bank" in e.source and e.citation and "methods" in e.source:
            checked += 1
            assert e.citation.startswith(e.surnames[0]), e.key
            assert f"({e.year})" in e.citation, e.key
            assert e.title.split(":")[0].casefold() in e.citation.casefold(), e.key
    assert checked >= 15


def test_no_work_is_recorded_twice():
    entries = list(bib_entries().values())
    dois = [e.doi.lower() for e in entries if e.doi]
    assert len(dois) == len(set(dois)), "two keys share a DOI"
    ident = [(e.surnames[0], e.year_label, e.title.casefold()[:40]) for e in entries]
    assert len(ident) == len(set(ident))
    # two works of one first author in one year need a letter to be cited unambiguously
    cited_as = [(e.surnames[0], e.year_label) for e in entries]
    dup = {c for c in cited_as if cited_as.count(c) > 1}
    assert not dup, f"add year_suffix to tell apart {dup}"


def _parse_bibtex(text):
    """A minimal BibTeX reader: @type{key, field = {value}, ...} with balanced braces."""
    entries, pos = [], 0
    body = re.sub(r"(?m)^%.*$", "", text)
    while True:
        m = re.compile(r"@(\w+)\{([^,\s]+),").search(body, pos)
        if not m:
            break
        depth, i = 1, m.end()
        while depth:
            if i >= len(body):
                raise AssertionError(f"unbalanced braces in entry {m.group(2)}")
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        inner = body[m.end() : i - 1]
        fields, j = {}, 0
        for fm in re.finditer(r"\s*(\w+) = \{", inner):
            if fm.start() < j:
                continue
            d, k = 1, fm.end()
            while d:
                d += {"{": 1, "}": -1}.get(inner[k], 0)
                k += 1
            fields[fm.group(1)] = inner[fm.end() : k - 1]
            assert inner[k] == ",", f"{m.group(2)}: field {fm.group(1)} not closed by ','"
            j = k + 1
        entries.append((m.group(1).lower(), m.group(2), fields))
        pos = i
    return entries


def test_bibtex_parses_and_every_entry_is_complete():
    text = to_bibtex()
    entries = _parse_bibtex(text)
    keys = [k for _, k, _ in entries]
    assert len(keys) == len(set(keys)) == len(references())
    assert text.count("@") == len(entries) + text.count("@misc") * 0  # no stray '@'
    for kind, key, fields in entries:
        assert kind in {"article", "book", "incollection", "manual", "misc"}, key
        for f in ("author", "title", "year"):
            assert fields.get(f), f"{key} lacks {f}"
        assert re.fullmatch(r"\d{4}[a-z]?", fields["year"]), key
        if kind == "article":
            assert fields.get("journal"), key
        for name, value in fields.items():
            if name in ("doi", "url"):
                assert not re.search(r"\s", value), key
                continue
            # LaTeX specials escaped; no raw Unicode dashes
            assert not re.search(r"(?<!\\)[&%#_$]", value), f"{key}.{name}: {value}"
            assert "\u2013" not in value and "\u2014" not in value, f"{key}.{name}"


def test_bibtex_escapes_specials_and_protects_capitals():
    text = to_bibtex(["podsakoff2003", "isic4", "lombard2002"])
    assert "author = {{United Nations Statistics Division}}" in text
    assert "journal = {Human Communication Research}" in text
    assert "pages = {879--903}" in text
    assert "{International} {Standard} {Industrial}" in text
    assert "Lee, J.-Y." in text
    amp = to_bibtex(["vandenberg_lance2000", "roemer2021"])
    assert r"journal = {Industrial Management \& Data Systems}" in amp
    with pytest.raises(NrelError, match="unknown reference key"):
        to_bibtex(["nobody1999"])


def test_committed_papers_files_are_generated(root, tmp_path):
    """papers/references.bib and the manuscript template equal what the package writes."""
    written = write_papers(tmp_path)
    for path in written:
        committed = root / "papers" / path.name
        assert committed.is_file(), f"run `python -m nrel_research.report papers` ({path.name})"
        assert committed.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
            f"papers/{path.name} is stale: run `python -m nrel_research.report papers`"
        )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e.pop("title"), "field 'title' is missing"),
        (lambda e: e.update(type="thesis"), "type 'thesis' is not one of"),
        (lambda e: e.update(key="Bad-Key"), "must be lower-case"),
        (lambda e: e.update(year="1988"), "four-digit integer"),
        (lambda e: e.update(verified="yes"), "must be true or false"),
        (lambda e: e.update(verified=True), "verified_source is empty"),
        (lambda e: e.update(authors=["Anderson J C"]), None),  # corporate-style name: allowed
        (lambda e: e.update(authors=["Anderson, J., C."]), "one comma"),
        (lambda e: e.update(colour="blue"), "unknown field"),
        (lambda e: e.pop("journal"), "field 'journal' is missing"),
    ],
)
def test_references_file_errors_name_the_entry_and_field(tmp_path, edit, message):
    import yaml

    doc = yaml.safe_load(REFERENCES_FILE.read_text(encoding="utf-8"))
    entry = next(e for e in doc["references"] if e["key"] == "anderson_gerbing1988")
    edit(entry)
    path = tmp_path / "references.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    if message is None:
        load_references(path)
        return
    with pytest.raises(FrameworkError, match=re.escape(message)) as exc:
        load_references(path)
    assert "references.yaml" in str(exc.value)


def test_references_file_rejects_repeated_keys_and_framework_keys(tmp_path):
    import yaml

    doc = yaml.safe_load(REFERENCES_FILE.read_text(encoding="utf-8"))
    doc["references"].append(dict(doc["references"][0]))
    path = tmp_path / "references.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FrameworkError, match="repeats entry 0"):
        load_references(path)
    doc["references"].pop()
    clash = dict(doc["references"][0], key="ananda2016")
    doc["references"].append(clash)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FrameworkError, match="repeats framework reference key"):
        references(path)


def test_item_bank_sources_without_a_structured_entry_become_misc(tmp_path):
    import yaml

    doc = yaml.safe_load(REFERENCES_FILE.read_text(encoding="utf-8"))
    doc["references"] = [e for e in doc["references"] if e["key"] != "kumar1993"]
    path = tmp_path / "references.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    e = bib_entries(path)["kumar1993"]
    assert (e.type, e.source, e.year) == ("misc", "item_bank", 1993)
    assert e.authors == ("Kumar, N.", "Stern, L. W.", "Anderson, J. C.")
    assert e.title == "Conducting interorganizational research using key informants"
    bib = to_bibtex(["kumar1993"], path=path)
    assert "@misc{kumar1993," in bib
    assert "note = {Kumar, N., Stern, L. W., \\& Anderson, J. C. (1993). Conducting" in bib
    assert _parse_bibtex(bib)[0][2]["author"] == "Kumar, N. and Stern, L. W. and Anderson, J. C."


def test_cite_resolves_keys_and_refuses_unknown_ones():
    text, keys = cite("see {citet:anderson_gerbing1988} and {cite:kline2016, bollen1989}")
    assert text == "see Anderson and Gerbing (1988) and (Kline, 2016; Bollen, 1989)"
    assert keys == ["anderson_gerbing1988", "kline2016", "bollen1989"]
    tex, _ = cite("{cite:kline2016,bollen1989}", "latex")
    assert tex == r"\citep{kline2016,bollen1989}"
    with pytest.raises(NrelError, match="unknown key"):
        cite("{cite:nobody1999}")


def test_apa_reference_list_forms():
    e = bib_entries()
    assert e["kline2016"].apa() == (
        "Kline, R. B. (2016). *Principles and practice of structural equation modeling* "
        "(4th ed.). Guilford Press."
    )
    assert e["apa2020"].apa("text").startswith("American Psychological Association. (2020).")
    assert e["arbuckle1996"].apa("text") == (
        "Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete "
        "data. In G. A. Marcoulides & R. E. Schumacker (Eds.), Advanced structural equation "
        "modeling: Issues and techniques (pp. 243\u2013277). Lawrence Erlbaum."
    )
    tex = e["lombard2002"].apa("latex")
    assert r"\emph{Human Communication Research}" in tex and "587--604" in tex
    assert r"\url{https://doi.org/10.1111/j.1468-2958.2002.tb00826.x}" in tex


# -- the manuscript -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted_tables():
    hs = load_dataset("holzinger_swineford_1939")
    cfa = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
    res = sem.fit(cfa, hs)
    pd_model = "ind60 =~ x1 + x2 + x3\ndem60 =~ y1 + y2 + y3 + y4\ndem60 ~ ind60"
    pdres = sem.fit(pd_model, load_dataset("political_democracy"))
    return {
        "measurement": measurement_table(res),
        "fit": fit_table({"Three-factor CFA": res}),
        "structural": structural_table(pdres, sources={("dem60", "ind60"): "P3"}),
    }


def test_manuscript_fills_results_from_real_tables(fitted_tables, tmp_path):
    m = manuscript(fitted_tables, out_dir=tmp_path / "out", authors=["A. Author", "B. Author"])
    assert [p.name for p in m.paths] == ["manuscript.md", "manuscript.tex"]
    assert (tmp_path / "out" / "manuscript.md").read_text(encoding="utf-8") == m.markdown
    assert m.missing_tables == ("propositions",)
    fit = fitted_tables["fit"].iloc[0]
    meas = fitted_tables["measurement"]
    struct = fitted_tables["structural"].iloc[0]
    # the APA-formatted numbers of the fitted models appear in both outputs
    numbers = {
        "chisq": f"{fit['chisq']:.2f}",  # 85.31 (lavaan 85.306)
        "cfi": f"{fit['cfi']:.2f}".lstrip("0"),  # .93
        "rmsea": f"{fit['rmsea']:.2f}".lstrip("0"),
        "x1 loading": f"{meas.loc[0, 'loading']:.2f}".lstrip("0"),  # .77
        "beta": f"{struct['beta']:.2f}".lstrip("0"),  # .46
        "estimate": f"{struct['estimate']:.2f}",  # 1.44
    }
    assert numbers["chisq"] == "85.31" and numbers["beta"] == ".46"
    for what, s in numbers.items():
        assert s in m.markdown, what
        assert s in m.latex, what
    md_meas = m.markdown.split("### Measurement model")[1].split("### Model fit")[0]
    assert MISSING_TABLE not in md_meas and "| x1 " in md_meas
    assert md_meas.count("\n| ") == len(meas) + 1  # header + one row per indicator
    md_prop = m.markdown.split("### Propositions")[1]
    assert MISSING_TABLE in md_prop
    assert "P3" in m.markdown.split("### Structural model")[1]
    assert r"\begin{tabular}" in m.latex and r"\toprule" in m.latex
    # fit statistics are rows, models are columns (APA fit tables are tall)
    md_fit = m.markdown.split("### Model fit")[1].split("### Structural model")[0]
    assert re.search(r"\| CFI +\| \.93 +\|", md_fit)
    assert "Three-factor CFA" in md_fit.splitlines()[4]
    assert "A. Author, B. Author" in m.markdown and r"A. Author \and B. Author" in m.latex


def test_manuscript_without_tables_marks_every_result_missing_and_invents_nothing():
    m = render_manuscript()
    assert m.missing_tables == ("measurement", "fit", "structural", "propositions")
    results = m.markdown.split("## Results")[1].split("## Discussion")[0]
    assert results.count(MISSING_TABLE) == 4
    assert not re.search(r"\d\.\d", results)  # no numbers at all
    for section in (
        "Introduction",
        "Theoretical background",
        "Hypotheses",
        "Method",
        "Results",
        "Discussion",
        "Limitations",
        "References",
    ):
        assert f"## {section}" in m.markdown, section
        assert "\\section{" + section + "}" in m.latex or section == "References", section
    for code in ("R1", "E7", "L1"):
        assert f"| {code} " in m.markdown
    for p in ("P1", "P4", "P8"):
        assert f"**{p}**" in m.markdown and r"\textbf{" + p + "}" in m.latex
    for limitation in ("Cross-sectional", "Common-method", "Single informant"):
        assert limitation in m.markdown


def test_manuscript_reference_list_is_exactly_the_cited_works():
    m = render_manuscript()
    entries = bib_entries()
    refs = m.markdown.split("## References")[1]
    listed = [k for k in entries if entries[k].apa() in refs]
    assert listed == list(m.cited)
    cited_tex = set()
    for group in re.findall(r"\\cite[pt]\{([^}]*)\}", m.latex):
        cited_tex.update(group.split(","))
    bibitems = set(re.findall(r"\\bibitem\[[^\]]*\]\{([^}]*)\}", m.latex))
    assert cited_tex <= bibitems == set(m.cited)
    assert "{cite:" not in m.markdown and "{cite:" not in m.latex


def test_manuscript_latex_is_compile_safe(fitted_tables):
    tables = dict(fitted_tables)
    tables["odd_names"] = pd.DataFrame(
        {"construct": ["R&D_share #1", "50% {x}"], "estimate": [0.5, np.nan]}
    )
    m = render_manuscript(tables, title="Costs & returns: 100% of $ ~ ^ _")
    tex = m.latex
    body = tex.split(r"\begin{document}")[1]
    # only characters pdflatex with T1/utf8 inputenc handles
    odd = sorted({c for c in tex if ord(c) > 127 and c not in "ÁÉÍÓÚáéíóúÑñÄÖÜäöüØøÇç"})
    assert not odd, odd
    assert r"R\&D\_share \#1" in tex and r"50\% \{x\}" in tex
    assert r"Costs \& returns: 100\% of \$" in tex
    depth = 0
    for ch in re.sub(r"\\[{}%&$#_]", "", body):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert tex.count(r"\begin{table}") == tex.count(r"\end{table}")
    assert r"\end{document}" in tex


def test_manuscript_lists_verdicts_from_a_propositions_table():
    props = pd.DataFrame(
        {
            "proposition": ["P1", "P2"],
            "estimate": [0.31, 0.02],
            "pvalue": [0.0004, 0.61],
            "verdict": ["supported", "not supported"],
        }
    )
    m = render_manuscript(propositions=props)
    assert "propositions" not in m.missing_tables
    disc = m.markdown.split("## Discussion")[1].split("## Limitations")[0]
    assert "**P1**: supported" in disc and "**P2**: not supported" in disc
    results = m.markdown.split("### Propositions")[1]
    assert "< .001" in results and ".31" in results
    with pytest.raises(NrelError, match="once"):
        render_manuscript({"propositions": props}, propositions=props)
    with pytest.raises(NrelError, match="DataFrames"):
        render_manuscript({"fit": [1, 2]})


def test_apa_tables_in_the_manuscript_match_apa(fitted_tables):
    m = render_manuscript(fitted_tables)
    shown = apa(fitted_tables["fit"])
    assert shown.loc["Three-factor CFA", "cfi"] in m.markdown


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_manuscript_compiles_with_pdflatex(fitted_tables, tmp_path):  # pragma: no cover
    tables = dict(fitted_tables)
    tables["long_table"] = pd.DataFrame(  # > 25 rows: a longtable across pages
        {"item": [f"item_{i}" for i in range(60)], "loading": np.linspace(0.3, 0.9, 60)}
    )
    m = manuscript(tables, out_dir=tmp_path)
    assert r"\begin{longtable}" in m.latex
    for _ in range(2):
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "manuscript.tex"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout[-3000:]
    assert (tmp_path / "manuscript.pdf").stat().st_size > 10_000
    log = (tmp_path / "manuscript.log").read_text(encoding="latin-1")
    assert "Overfull \\hbox" not in log  # no table runs off the page
    assert "undefined" not in log.lower()  # every citation and reference resolved
    assert m.paths
