"""Posts per second of the automatic coders on a 100,000-post file (not run by make test).

    .venv/bin/python benchmarks/bench_coders.py [--n 100000] [--corpus path/to/posts.csv]

Builds a 100,000-post CSV by resampling real-looking posts (the illustrative corpus when
it is available, otherwise the codebook's example posts), reads it back as the CLI does,
and times, on one core (single-threaded BLAS):

- DictionaryCoder with the language column (rules of the post's language);
- DictionaryCoder without it (rules chosen by the scripts in the post);
- SupervisedCoder prediction (trained on the source posts; training time reported apart).

Timings use CPU time of this process (time.process_time), which is robust to other load
on a shared machine; wall time is printed too. Target (issue 4): dictionary > 20,000
posts/s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd
from threadpoolctl import threadpool_limits

from nrel_research import coding

CORPUS = Path(__file__).resolve().parents[1] / "nrel_research/coding/data/illustrative_posts.csv"


def source_posts(corpus: Path | None) -> tuple[pd.DataFrame, str]:
    if corpus is not None and corpus.is_file():
        posts = coding.read_posts(corpus)
        return posts[["text", "language", "intended_code"]].rename(
            columns={"intended_code": "code"}
        ), str(corpus.name)
    ex = coding.load_codebook().to_frame("examples")
    return (
        pd.DataFrame({"text": ex.text, "language": "en", "code": ex.correct_code}),
        "codebook examples",
    )


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    src, label = source_posts(args.corpus)
    big = src.sample(args.n, replace=True, random_state=1).reset_index(drop=True)
    big.insert(0, "post_id", [f"p{i}" for i in range(args.n)])
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        path = Path(tmp) / "posts.csv"
        big.to_csv(path, index=False)
        posts, cpu, wall = timed(lambda: coding.read_posts(path))
        print(f"source: {label}; {args.n} posts; read: {cpu:.2f} s CPU ({wall:.2f} s wall)")
        dictionary = coding.DictionaryCoder()
        rows = []
        for name, frame in (
            ("dictionary, language column", posts),
            ("dictionary, language unknown", posts.drop(columns="language")),
        ):
            _, cpu, wall = timed(lambda f=frame: dictionary.predict(f))
            rows.append((name, args.n / cpu, args.n / wall))
        sup, cpu, wall = timed(lambda: coding.SupervisedCoder().fit(src, src.code))
        print(f"supervised training on {len(src)} posts: {cpu:.2f} s CPU")
        _, cpu, wall = timed(lambda: sup.predict(posts))
        rows.append(("supervised", args.n / cpu, args.n / wall))
    for name, per_cpu, per_wall in rows:
        print(f"{name:32s} {per_cpu:10,.0f} posts/s (CPU)  {per_wall:10,.0f} posts/s (wall)")


if __name__ == "__main__":
    main()
