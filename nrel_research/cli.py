"""The ``nrel`` command line.

Each subcommand is a :class:`Command` in :data:`COMMANDS`: a name, a one-line help, a
function that adds its arguments and a function that runs it and returns the exit
status. Later modules add a subcommand by appending one entry; nothing in the package
imports this module (it sits at the top of the dependency order).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._version import __version__
from .exceptions import NrelError

__all__ = ["COMMANDS", "Command", "build_parser", "main"]


@dataclass(frozen=True)
class Command:
    """One ``nrel`` subcommand."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- nrel framework ------------------------------------------------------------------------
_FRAMEWORK_COLUMNS = {
    "actions": ["code", "category_name", "name", "b2b_only", "process", "approach"],
    "categories": ["code", "name", "renl_level", "process", "approach", "n_actions"],
    "network": ["dimension_name", "measure_name", "source"],
    "propositions": ["id", "level", "predictors", "mediators", "moderators", "outcomes"],
    "constructs": ["id", "name", "kind", "level"],
    "references": ["key", "year", "verified", "doi"],
}


def _framework_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "kind",
        nargs="?",
        default="actions",
        choices=list(_FRAMEWORK_COLUMNS),
        help="which part of the framework to show (default: actions)",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "json", "markdown"],
        default="table",
        help="table (default, for reading), csv or json (all columns), markdown",
    )
    p.add_argument("--file", help="an edited framework YAML file to validate and show")


def _framework_run(args: argparse.Namespace) -> int:
    from . import framework

    fw = framework.load(args.file)
    frame = fw.to_frame(args.kind)
    if args.format == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif args.format == "json":
        sys.stdout.write(frame.to_json(orient="records", force_ascii=False, indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(_markdown(frame[_FRAMEWORK_COLUMNS[args.kind]]) + "\n")
    else:
        if args.kind == "actions":
            print(f"{fw.title} ({fw.reference(fw.source).apa()})\n")
        shown = frame[_FRAMEWORK_COLUMNS[args.kind]]
        print(shown.to_string(index=False, max_colwidth=60))
    return 0


def _markdown(frame) -> str:
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


# -- nrel reproduce ------------------------------------------------------------------------
def _reproduce_args(p: argparse.ArgumentParser) -> None:
    from .reproduce import DEFAULT_SEED

    p.add_argument("--notebooks", default="notebooks", help="notebook folder (default: notebooks)")
    p.add_argument("--output", default="reports", help="report folder (default: reports)")
    p.add_argument(
        "--fast", action="store_true", help="small bootstrap/simulation sizes (what tests use)"
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed passed to every notebook")
    p.add_argument("--timeout", type=int, default=3600, help="seconds a cell may run")


def _reproduce_run(args: argparse.Namespace) -> int:
    from .reproduce import run_notebooks

    table = run_notebooks(
        args.notebooks, args.output, fast=args.fast, seed=args.seed, timeout=args.timeout
    )
    return 0 if (table["status"] == "ok").all() else 1


# -- nrel survey ---------------------------------------------------------------------------
def _survey_args(p: argparse.ArgumentParser) -> None:
    from .instruments import FORMATS

    p.add_argument(
        "action",
        choices=["build", "items"],
        help="build: write the instrument files; items: list constructs and item counts",
    )
    p.add_argument(
        "--format",
        default="all",
        help=f"comma-separated formats: {', '.join(FORMATS)} or all (default: all)",
    )
    p.add_argument("--lang", default="en", help="comma-separated language codes (default: en)")
    p.add_argument(
        "--constructs", default=None, help="comma-separated construct or block ids (default: all)"
    )
    p.add_argument("--market-type", choices=["B2B", "B2C", "both"], default=None)
    p.add_argument("--seed", type=int, default=0, help="seed of the within-block shuffle")
    p.add_argument(
        "--no-randomize", action="store_true", help="keep the item-bank order within blocks"
    )
    p.add_argument("--out", default="surveys", help="output folder (default: surveys)")
    p.add_argument("--stem", default="nrel_survey", help="start of the file names")


def _survey_run(args: argparse.Namespace) -> int:
    import warnings

    from . import instruments

    if args.action == "items":
        frame = instruments.load_item_bank().to_frame("constructs")
        shown = frame[["block", "id", "kind", "measurement", "n_items", "name"]]
        print(shown.to_string(index=False, max_colwidth=60))
        return 0
    constructs = args.constructs.split(",") if args.constructs else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", instruments.builder.TranslationWarning)
        inst = instruments.build(
            constructs,
            languages=args.lang.split(","),
            randomize_within_blocks=not args.no_randomize,
            seed=args.seed,
            market_type=args.market_type,
        )
    for w in caught:
        print(f"nrel survey: warning: {w.message}", file=sys.stderr)
    paths = instruments.export(inst, args.out, args.format, stem=args.stem)
    for path in paths:
        print(path)
    return 0


# -- nrel code -----------------------------------------------------------------------------
def _code_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="code_command", metavar="ACTION", required=True)
    m = sub.add_parser("manual", help="write the coder manual (Markdown and HTML)")
    m.add_argument("--out", required=True, help="folder for coder_manual.md and .html")
    s = sub.add_parser("sheet", help="write an Excel coding sheet for a file of posts")
    s.add_argument("posts", nargs="?", help="posts (CSV/XLSX); omit for an empty sheet")
    s.add_argument("--out", required=True, help="the .xlsx file to write")
    s.add_argument("--id", default="post_id", help="post-id column (default: post_id)")
    s.add_argument("--text", default="text", help="text column (default: text)")
    s.add_argument("--coder", default="", help="pre-fill the coder column")
    r = sub.add_parser("reliability", help="inter-coder reliability of a long coding file")
    r.add_argument("codings", help="long-format codings (CSV/XLSX): unit, coder, code")
    r.add_argument("--unit", default="post_id")
    r.add_argument("--coder", default="coder")
    r.add_argument("--code", default="code")
    r.add_argument("--secondary", default=None, help="secondary-code column, if any")
    r.add_argument("--n-boot", type=int, default=2000, help="bootstrap replicates (0: none)")
    r.add_argument("--bootstrap", choices=["pairs", "units"], default="pairs")
    r.add_argument("--seed", type=int, default=2016)
    r.add_argument("--format", choices=["table", "csv"], default="table")
    r.add_argument("--disagreements", help="also write the disagreement list to this CSV")
    a = sub.add_parser("auto", help="code posts automatically (dictionary or supervised)")
    a.add_argument("posts", help="posts (CSV/XLSX) with a text column")
    a.add_argument("--model", choices=["dictionary", "supervised"], default="dictionary")
    a.add_argument("--out", required=True, help="CSV to write (never the input file)")
    a.add_argument("--id", default="post_id")
    a.add_argument("--text", default="text")
    a.add_argument("--language", default="language", help="language column, if any")
    a.add_argument(
        "--model-file", help="a supervised model saved by --save-model (skops; trusted types only)"
    )
    a.add_argument("--train", help="human-coded posts (CSV/XLSX) to train the supervised coder on")
    a.add_argument("--train-code", default="code", help="code column of --train")
    a.add_argument("--save-model", help="save the trained supervised coder (.skops)")
    a.add_argument("--no-progress", action="store_true", help="no progress bar")


def _code_run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import pandas as pd

    from . import coding
    from .exceptions import DataError

    if args.code_command == "manual":
        for path in coding.write_manual(args.out):
            print(f"wrote {path}")
        return 0
    if args.code_command == "sheet":
        posts = coding.read_posts(args.posts, id=args.id, text=args.text) if args.posts else None
        path = coding.coding_sheet(args.out, posts, id=args.id, text=args.text, coder=args.coder)
        print(f"wrote {path} ({0 if posts is None else len(posts)} posts)")
        return 0
    if args.code_command == "reliability":
        import warnings

        from .exceptions import NrelWarning

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NrelWarning)
            table = coding.reliability(
                args.codings,
                unit=args.unit,
                coder=args.coder,
                code=args.code,
                secondary=args.secondary,
                n_boot=args.n_boot,
                bootstrap=args.bootstrap,
                seed=args.seed,
            )
        for w in caught:
            print(f"nrel code reliability: warning: {w.message}", file=sys.stderr)
        if args.format == "csv":
            sys.stdout.write(table.to_csv(index=False))
        else:
            print(
                table.drop(columns=["p_below_0_667", "p_below_0_800"])
                .round(3)
                .to_string(index=False)
            )
        if args.disagreements:
            listing = coding.disagreements(
                args.codings, unit=args.unit, coder=args.coder, code=args.code
            )
            listing.to_csv(args.disagreements, index=False)
            print(f"wrote {len(listing)} disagreements to {args.disagreements}", file=sys.stderr)
        return 0
    # auto
    src, out = Path(args.posts), Path(args.out)
    if out.exists() and src.exists() and out.resolve() == src.resolve():
        raise DataError(f"--out '{out}' is the input file; write the codes to a new file.")
    posts = coding.read_posts(src, id=args.id, text=args.text, allow_empty_text=True)
    if args.model == "dictionary":
        coder = coding.DictionaryCoder(text=args.text, language=args.language)
    elif args.model_file:
        coder = coding.SupervisedCoder.load(args.model_file)
        coder.text = args.text
    else:
        if not args.train:
            raise DataError(
                "--model supervised needs --train FILE (human-coded posts) or --model-file."
            )
        train = coding.read_posts(args.train, id=args.id, text=args.text)
        if args.train_code not in train.columns:
            raise DataError(
                f"file '{args.train}' lacks the code column '{args.train_code}'; "
                "name it with --train-code."
            )
        coder = coding.SupervisedCoder(text=args.text).fit(train, train[args.train_code])
        if args.save_model:
            print(f"saved the model to {coder.save(args.save_model)}", file=sys.stderr)
    from tqdm import tqdm

    chunk = 5000
    pieces = []
    show = not args.no_progress and len(posts) > 2 * chunk
    with tqdm(
        total=len(posts), unit="post", disable=not show, file=sys.stderr, desc="coding"
    ) as bar:
        for start in range(0, len(posts), chunk):
            part = posts.iloc[start : start + chunk]
            if args.model == "dictionary":
                piece = coder.explain(part)
            else:
                proba = coder.predict_proba(part)
                piece = pd.DataFrame(
                    {
                        "code": proba.idxmax(axis=1).to_numpy(),
                        "probability": proba.max(axis=1).to_numpy(),
                    }
                )
            piece.index = part.index
            pieces.append(piece)
            bar.update(len(part))
    result = pd.concat([posts[[args.id]], pd.concat(pieces)], axis=1)
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    n_uncoded = int(result["code"].isna().sum())
    print(f"wrote {len(result)} coded posts to {out} ({n_uncoded} left uncoded)")
    return 0


# -- nrel report --------------------------------------------------------------------------
def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--responses",
        help="survey export (CSV, XLSX, SPSS, Qualtrics, LimeSurvey, Kobo); default: the "
        "bundled simulated study",
    )
    p.add_argument("--posts", help="coded posts (CSV) for the post-level analysis")
    p.add_argument(
        "--source",
        default="auto",
        help="format of --responses (default: guessed from the file; see read_responses)",
    )
    p.add_argument("--out", default="reports/study", help="output folder (default: reports/study)")
    p.add_argument(
        "--estimator",
        choices=["MLR", "ML", "WLSMV"],
        default="MLR",
        help="MLR (default) or ML treat the rating items as continuous; WLSMV treats the items "
        "the item bank declares ordinal as ordered categorical",
    )
    p.add_argument(
        "--missing",
        choices=["fiml", "listwise", "pairwise"],
        default=None,
        help="default: fiml for ML/MLR, pairwise for WLSMV",
    )
    p.add_argument("--seed", type=int, default=20160311)
    p.add_argument("--quiet", action="store_true", help="no progress messages")


def _report_run(args: argparse.Namespace) -> int:
    from .analysis import run_study
    from .report import write_report

    say = (lambda _m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    study = run_study(
        args.responses,
        posts=args.posts,
        source=args.source,
        estimator=args.estimator,
        missing=args.missing,
        seed=args.seed,
        progress=say,
    )
    path = write_report(study, args.out, progress=say)
    print(study.summary())
    print(f"report: {path}")
    return 0


COMMANDS: list[Command] = [
    Command(
        "framework",
        "print the N-REL taxonomy (or another part of the framework) as a table",
        _framework_args,
        _framework_run,
    ),
    Command(
        "reproduce",
        "execute every notebook and write executed notebooks + HTML index to reports/",
        _reproduce_args,
        _reproduce_run,
    ),
    Command(
        "survey",
        "build the N-REL survey instrument (XLSForm, LimeSurvey, Qualtrics, REDCap, HTML...)",
        _survey_args,
        _survey_run,
    ),
    Command(
        "code",
        "content analysis: coder manual, coding sheet, reliability, automatic coding",
        _code_args,
        _code_run,
    ),
    Command(
        "report",
        "run the N-REL study (validation -> cleaning -> measurement -> structural -> "
        "propositions) and write an HTML report with CSV tables",
        _report_args,
        _report_run,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser from :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="nrel",
        description=(
            "nrel_research: instruments, coding and analysis for the N-REL framework of "
            "social media marketing strategic actions (Ananda, Hernández-García & "
            "Lamberti, 2016)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"nrel_research {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nrel`` command; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return args._run(args)
    except NrelError as exc:
        print(f"nrel {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `nrel framework | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
