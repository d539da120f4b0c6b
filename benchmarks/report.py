"""Run every benchmark and write benchmarks/REPORT.md; ``--check`` verifies the committed report.

Usage:
    python benchmarks/report.py            # run all, write results/*.json, REPORT.md, learning_curve.png
    python benchmarks/report.py --check    # CI: regenerate the deterministic part, compare, print timings
    python benchmarks/report.py --rebuild  # rewrite REPORT.md from results/*.json (after new hand judgements)

Needs the test extra (matplotlib) and fastText (``pip install fasttext-numpy2-wheel``).
The part between the ``deterministic`` markers holds only figures that are the
same on every run (fixed splits, fixed seeds, deterministic fitting); ``--check``
fails (exit 1) when it differs from the committed report. Timings are printed
and written below the markers, never compared.
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT = HERE / "REPORT.md"
BEGIN, END = "<!-- deterministic:begin -->", "<!-- deterministic:end -->"


def bench(script: str, out: Path, *extra: str) -> dict:
    cmd = [sys.executable, str(HERE / script), "--json", str(out), *extra]
    print(f"$ {' '.join(cmd[1:])}", flush=True)
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def _iv(report, key):
    lo, hi = report["intervals"][key]
    return f"{report[key]:.3f} | {lo:.3f}–{hi:.3f}"


def _apply_judgements(corpus: dict) -> dict:
    """Verdicts of the hand reading (fp_judgements.json), when they were made for this model."""
    path = HERE / "fp_judgements.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    judged = data.get("judgements", {}) if data.get("model_sha256") == corpus["model_sha256"] else {}
    for s in corpus["sample"] + corpus.get("high", []):
        s["verdict"] = judged.get(s["id"], {}).get("verdict", "not judged")
        s["note"] = judged.get(s["id"], {}).get("note", "")
    verdicts = [s["verdict"] for s in corpus["sample"]]
    corpus["sample_verdicts"] = {v: verdicts.count(v) for v in sorted(set(verdicts))}
    if len(judged) == corpus["flagged"]:  # every flagged paragraph was read, not only the sample
        every = [j["verdict"] for j in judged.values()]
        corpus["all_verdicts"] = {v: every.count(v) for v in sorted(set(every))}
    if "high" in corpus:
        verdicts = [s["verdict"] for s in corpus["high"]]
        corpus["high_verdicts"] = {v: verdicts.count(v) for v in sorted(set(verdicts))}
    return corpus


def _curve_table(random: list, suggested: list) -> list[str]:
    L = ["| labels | random: topic macro-F1 | suggested: topic macro-F1 | random: stance macro-F1 | "
         "suggested: stance macro-F1 |", "|---|---|---|---|---|"]
    for r, s in zip(random, suggested):
        L.append(f"| {r['labels']:g} | {r['topic_macro_f1']:.3f} | {s['topic_macro_f1']:.3f} | "
                 f"{r['stance_macro_f1']:.3f} | {s['stance_macro_f1']:.3f} |")
    return L


def _saved(savings: dict) -> str:
    out = []
    for key, name in (("topic_macro_f1", "topic macro-F1"), ("stance_macro_f1", "stance macro-F1")):
        v = savings[key]["mean_saved"]
        out.append(f"{name}: {v:.0%} fewer labels" if v is not None else f"{name}: not reached")
    return "; ".join(out)


def active_block(active: dict) -> list[str]:
    """Seed 0 of the active-learning simulation: what CI re-runs and compares."""
    run = next(r for r in active["runs"] if r["seed"] == 0)
    from bench_active import summarise  # the same reading of the curves for one seed as for the mean

    one = summarise([run])
    L = ["", "## Active learning: suggested vs random batches (`benchmarks/bench_active.py`, seed 0)", "",
         f"A quarter of the stories held out ({run['test']} paragraphs); the other {run['pool']} are the pool. Both "
         "strategies start from the same random 20 % and add 10 % of the pool per round; every model has the bundled "
         "model's settings with thresholds at 0.5. Suggested batches come from `stancecls.active.suggest` (uncertainty "
         "with diversity) using the model of the previous round. Scores on the held-out stories:", ""]
    L += _curve_table(run["curves"]["random"], run["curves"]["suggested"])
    L += ["", f"Labels the suggested batches needed to reach each level random batches reach at 30–80 % of the pool, "
          f"averaged: {_saved(one['savings'])}. The mean of three seeds, with the plot, is below the deterministic "
          "part."]
    return L


def active_mean_block(active: dict) -> str:
    seeds = ", ".join(map(str, active["seeds"]))
    L = [f"## Active learning: mean of seeds {seeds} (`python benchmarks/bench_active.py`; CI re-runs seed 0 only)", "",
         "![active learning curves](active_learning.png)", ""]
    L += _curve_table(active["mean"]["random"], active["mean"]["suggested"])
    L += ["", f"**Labels saved** (for each level random batches reach with 30–80 % of the pool, the labels the suggested "
          f"batches needed to reach it, averaged over levels): {_saved(active['savings'])}.", "",
          "| level (random) | random labels | suggested labels | saved |", "|---|---|---|---|"]
    for key in ("topic_macro_f1", "stance_macro_f1"):
        for r in active["savings"][key]["rows"]:
            got = "not reached" if r["suggested_labels"] is None else f"{r['suggested_labels']:g}"
            saved = "" if r["saved"] is None else f"{r['saved']:.0%}"
            L.append(f"| {key.split('_')[0]} macro-F1 {r['level']:.3f} | {r['random_labels']:g} | {got} | {saved} |")
    L.append(f"\nSimulation time: {active['seconds']} s on this machine (2 processes).")
    return "\n".join(L) + "\n"


def deterministic_block(labels: dict, public: dict, corpus: dict, agreement: dict, active: dict) -> str:
    corpus = _apply_judgements(corpus)
    cv = labels["cv"]
    p = labels["params"]
    L = [BEGIN, "", "## Quality on `data/labels` (grouped 5-fold cross-validation)", ""]
    L.append(f"{labels['n']} paragraphs in {labels['n_docs']} story groups; folds never split a story. Settings of the "
             f"bundled model as chosen by `stancecls train`'s search (word {tuple(p['word_ngram_range'])}, char "
             f"{tuple(p['char_ngram_range']) if p['char_ngram_range'] else None}, stem {p['stem']}, sublinear tf "
             f"{p['sublinear_tf']}, min_df {p['min_df']}, topic C {p['topic_C']}, class weight {p['class_weight']}, "
             f"stance C {p['stance_C']}). The search ran on the same data (3-fold), so these figures carry a small "
             "selection bias. 95 % intervals: bootstrap over stories, 1,000 resamples.")
    L += ["", "| metric | value | 95 % interval |", "|---|---|---|"]
    for key, name in (("topic_macro_f1", "topic macro-F1"), ("topic_micro_f1", "topic micro-F1"),
                      ("exact_match", "exact match (topic sets)"), ("stance_macro_f1", "stance macro-F1 (on gold topics)"),
                      ("stance_f_avg", "stance F_avg = (F_favor + F_against) / 2")):
        L.append(f"| {name} | {_iv(cv, key)} |")
    L.append(f"| other: precision / recall | {cv['other']['precision']:.3f} / {cv['other']['recall']:.3f} | |")
    L.append(f"| topic calibration: Brier / ECE | {cv['calibration']['brier']:.4f} / {cv['calibration']['ece']:.4f} | |")
    L += ["", "| topic | precision | recall | F1 | support | threshold |", "|---|---|---|---|---|---|"]
    for t, m in cv["per_topic"].items():
        L.append(f"| {t} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} | {labels['thresholds'][t]:.3f} |")
    sc = cv["stance_confusion"]
    L += ["", "Stance confusion on the gold (paragraph, topic) pairs (rows gold, columns predicted):", "",
          "| gold \\ predicted | " + " | ".join(sc["labels_pred"]) + " |", "|---" * (len(sc["labels_pred"]) + 1) + "|"]
    L += [f"| {a} | " + " | ".join(map(str, row)) + " |" for a, row in zip(sc["labels_true"], sc["matrix"])]
    if labels.get("background"):
        bg = labels["background"]
        L += ["", f"Trained, as the bundled model is, with {bg['n_records']:,} background paragraphs of `../shared/corpus` "
              "as *other* (`stancecls train --background`) in every training fold; only the labelled paragraphs are "
              "scored. The two sections below use the labels alone."]
    L += ["", "### How stance is conditioned on the topic (`stance_mode`)", "",
          "| stance_mode | stance macro-F1 | F_avg |", "|---|---|---|"]
    for mode, m in labels["stance_modes"].items():
        L.append(f"| {mode} | {m['stance_macro_f1']:.3f} | {m['stance_f_avg']:.3f} |")
    L += ["", "`pooled` (one classifier over (paragraph, topic) pairs with shared and topic-specific feature blocks) is the "
          "default because it scores best here.", "", "### Learning curve", "",
          "Grouped 5-fold CV on a seeded sample of the story groups. ![learning curve](learning_curve.png)", "",
          "| share of groups | groups | paragraphs | topic macro-F1 | stance macro-F1 |", "|---|---|---|---|---|"]
    for pt in labels["learning_curve"]:
        L.append(f"| {pt['fraction']:.0%} | {pt['docs']} | {pt['paragraphs']} | {pt['topic_macro_f1']:.3f} | {pt['stance_macro_f1']:.3f} |")
    L += ["", "## Public benchmarks (official test splits, macro-F1 × 100)", "",
          "stancecls: search by 3-fold CV on train+valid, fit on train+valid, scored on the official test split. "
          "fastText, trained and tested in the same run, is in the table below the deterministic part: its EmoT "
          "score differs between identical runs (one thread, fixed seed), so it cannot be checked.",
          "", "| set | train/valid/test | stancecls | published reference | target |", "|---|---|---|---|---|"]
    for name, r in public.items():
        L.append(f"| {name} | {'/'.join(map(str, r['n']))} | {r['stancecls']['macro_f1']:.2f} | "
                 f"{r['reference']['macro_f1']:.2f} ({r['reference']['name']}) | {r['target']} |")
    L += ["", "Settings chosen: " + "; ".join(
        f"{name}: word {tuple(r['stancecls']['params']['word_ngram_range'])}, char "
        f"{tuple(r['stancecls']['params']['char_ngram_range']) if r['stancecls']['params']['char_ngram_range'] else None}, "
        f"stem {r['stancecls']['params']['stem']}, sublinear tf {r['stancecls']['params']['sublinear_tf']}, "
        f"C {r['stancecls']['params']['topic_C']}, class weight {r['stancecls']['params']['class_weight']}"
        for name, r in public.items()) + "."]
    L += ["", "## False positives on real news (`../shared/corpus`)", "",
          (f"The bundled model on every paragraph of the half of the corpus it never trained on ({corpus['paragraphs']:,} "
           f"paragraphs of the {corpus['articles']:,} articles whose id has an odd CRC-32; the other half supplied the "
           "background *other* paragraphs of `stancecls train --background`), segmented "
           if "articles" in corpus else
           f"The bundled model on every paragraph of the corpus ({corpus['paragraphs']:,} paragraphs of 8,055 articles, segmented ")
          + f"by `stancecls.segment`), nearly all off-topic: **{corpus['flagged']:,} flagged with any topic "
          f"({100 * corpus['flagged_share']:.2f} %)**. Per topic: "
          + ", ".join(f"{t} {n}" for t, n in corpus["per_topic"].items()) + ".", "",
          f"A seeded sample of {len(corpus['sample'])} flagged paragraphs, read one by one against `GUIDELINES.md` (by a "
          "language-model reader, strict, spot-checked by the maintainer; verdicts in `fp_judgements.json`; "
          "corpus text is not copied into the repository): "
          + ", ".join(f"{n} {v}" for v, n in corpus["sample_verdicts"].items()) + "."
          + (f" All {corpus['flagged']} flagged paragraphs were read the same way: "
             + ", ".join(f"{n} {v}" for v, n in corpus["all_verdicts"].items()) + "." if "all_verdicts" in corpus else ""),
          "", "| paragraph | predicted | max score | verdict | note |", "|---|---|---|---|---|"]
    for s in corpus["sample"]:
        stance = ", ".join(f"{t}: {v}" for t, v in s["stance"].items())
        L.append(f"| `{s['id']}` | {stance} | {s['max_score']:.3f} | {s['verdict']} | {s['note']} |")
    if "high" in corpus:
        L += ["", f"### The high-precision operating point (`stancecls predict --min-score {corpus['high_threshold']}`)", "",
              f"Every corpus paragraph flagged with a probability of at least {corpus['high_threshold']}: "
              f"**{len(corpus['high'])}**, all read the same way: "
              + ", ".join(f"{n} {v}" for v, n in corpus["high_verdicts"].items()) + ".", "",
              "| paragraph | predicted | max score | verdict | note |", "|---|---|---|---|---|"]
        for s in corpus["high"]:
            stance = ", ".join(f"{t}: {v}" for t, v in s["stance"].items())
            L.append(f"| `{s['id']}` | {stance} | {s['max_score']:.3f} | {s['verdict']} | {s['note']} |")
    L += ["", "## Label agreement (blind second pass, `benchmarks/agreement.py`)", "",
          f"{agreement['n']} paragraphs double-labelled. Cohen's kappa: topics pooled {agreement['topic_kappa_pooled']:.3f} "
          "(" + ", ".join(f"{t} {v['kappa']:.3f}" for t, v in agreement["topics"].items()) + f"), other {agreement['other_kappa']:.3f}, "
          f"stance {agreement['stance_kappa']:.3f} on {agreement['stance_pairs']} shared pairs."]
    L += active_block(active) + ["", END]
    return "\n".join(L) + "\n"


def timing_block(labels, public, corpus, train) -> str:
    L = ["## fastText beside stancecls (same run; printed by CI, not checked)", "",
         "fastText supervised: epochs (5/25/50), word n-grams (1/2) and learning rate (0.1/0.25) chosen on valid, refit on "
         "train+valid, one thread, seed 0. NusaX and SmSA repeat exactly; EmoT moved by 0.4 points between identical runs.",
         "", "| set | stancecls | fastText | difference | fastText settings |", "|---|---|---|---|---|"]
    for name, r in public.items():
        ft = r["fasttext"]
        L.append(f"| {name} | {r['stancecls']['macro_f1']:.2f} | {ft['macro_f1']:.2f} | "
                 f"{r['stancecls']['macro_f1'] - ft['macro_f1']:+.2f} | epoch {ft['epoch']}, wordNgrams {ft['wordNgrams']}, lr {ft['lr']} |")
    L += ["", "## Timings (this machine; printed by CI, never checked)", "", "| what | figure |", "|---|---|"]
    L.append(f"| grouped 5-fold CV of the bundled recipe on data/labels | {labels['timings']['cv_seconds']:.0f} s |")
    for name, r in public.items():
        ratio = r["stancecls"]["train_seconds"] / max(r["fasttext"]["train_seconds"], 1e-9)
        L.append(f"| {name}: stancecls train (search + fit) vs fastText fit | {r['stancecls']['train_seconds']:.1f} s vs "
                 f"{r['fasttext']['train_seconds']:.2f} s (ratio {ratio:.0f}×) |")
    L.append(f"| classify the corpus (segmentation + prediction, one process) | {corpus['timings']['paragraphs_per_second']:.0f} paragraphs/s |")
    if train:
        for key, v in train.items():
            if isinstance(v, dict):
                L.append(f"| `stancecls train {' '.join(v['args'])}` | {v['seconds']:.1f} s, peak RSS {v['peak_rss_mb']:.0f} MB |")
        if "ratio_full_to_fit" in train:
            L.append(f"| full train / fit alone | {train['ratio_full_to_fit']:.1f}× |")
    return "\n".join(L) + "\n"


def predict_block(pr: dict) -> str:
    """Inference rows (bench_predict.py): speed beside fastText and the tokenisation floor, memory, scaling."""
    n, tok = pr["n"], pr["tokens"]
    eq = pr["equality"]
    L = ["## Inference: the compiled bundle (printed by CI, never checked)", "",
         f"`python benchmarks/bench_predict.py`: {n:,} corpus paragraphs ({tok / n:.1f} `\\w+` tokens each); every rate "
         "in one run on this machine, one process unless said. Model: "
         + (f"sha256 `{pr['model_sha256'][:12]}…`." if "model_sha256" in pr else "not recorded (a run before 2026-11-22).")
         + "", "",
         f"Equality with the scikit-learn pipeline on {eq['paragraphs']:,} corpus paragraphs: max |score difference| "
         f"{eq['max_abs_diff']:.1e}, paragraphs whose topics or stances differ: {eq['decisions_differ']}."
         + (f" Stems of the compiled Sastrawi port (`_sastrawi.c`) against PySastrawi on the {pr['stems']['words']:,} "
            f"distinct words of those paragraphs: {pr['stems']['differ']} differ; it stems "
            f"{pr['stems']['compiled_per_s']:,.0f} words/s, PySastrawi {pr['stems']['pysastrawi_per_s']:,.0f} "
            f"({pr['stems']['compiled_per_s'] / pr['stems']['pysastrawi_per_s']:.0f}×)." if "stems" in pr else ""), "",
         "| what | paragraphs/s | tokens/s | ratio to fastText (top label) | ratio to the tokenisation floor |",
         "|---|---|---|---|---|"]
    ft = pr["fasttext_k1"]
    rows = [("bare regex tokenisation (the floor" + (", median of 3 runs, each beside a first pass" if "floor" in pr.get("runs", {})
                                                      else "") + ")", pr["floor"]),
            ("stancecls library, topics and stances (`predict_proba`), first pass over new text (fresh model"
             + (", median of 3 runs" if "runs" in pr else "") + ")", pr["stancecls_arrays"]),
            ("stancecls library, topics and stances, second pass (warm caches)", pr["stancecls_arrays_warm"])]
    if "stancecls_topics" in pr:
        rows += [("stancecls library, topic probabilities alone (`topic_proba`, what fastText gives), first pass "
                  "(fresh model, median of 3 runs)", pr["stancecls_topics"]),
                 ("stancecls library, topic probabilities alone, second pass (warm caches)", pr["stancecls_topics_warm"])]
    rows += [("stancecls library, `Prediction` records", pr["stancecls_records"]),
             ("fastText supervised, top label" + (" (median of 3 runs, each beside a first pass)" if "runs" in pr else ""),
              ft), ("fastText supervised, all labels", pr["fasttext_all"]),
             ("scikit-learn pipeline (the same model through joblib)", pr["sklearn"])]
    for name, r in rows:
        L.append(f"| {name} | {r:,.0f} | {r * tok / n:,.0f} | {r / ft:.2f} | {r / pr['floor']:.2f} |")
    if "runs" in pr:
        runs = pr["runs"]
        L += ["", "The three side-by-side runs (paragraphs/s), first pass of stancecls / fastText: "
              + "; ".join(f"{a:,.0f} / {b:,.0f} ({a / b:.2f})" for a, b in zip(runs["stancecls_first_pass"], runs["fasttext_k1"]))
              + "."]
        if "stancecls_topics_first_pass" in runs:
            L[-1] += (" Topic probabilities alone / fastText: "
                      + "; ".join(f"{a:,.0f} / {b:,.0f} ({a / b:.2f})"
                                  for a, b in zip(runs["stancecls_topics_first_pass"], runs["fasttext_k1"])) + ".")
        if "floor" in runs:
            L[-1] += (" The floor in each run: " + "; ".join(f"{f:,.0f}" for f in runs["floor"]) + ". Against the floor of "
                      "the same run, first pass of topics and stances: "
                      + ", ".join(f"{a / f:.2f}" for a, f in zip(runs["stancecls_first_pass"], runs["floor"]))
                      + (("; topics alone: " + ", ".join(f"{a / f:.2f}" for a, f in
                                                         zip(runs["stancecls_topics_first_pass"], runs["floor"])))
                         if "stancecls_topics_first_pass" in runs else "") + ".")
    cs = pr["cold_start"]
    L += ["", "| what | figure |", "|---|---|",
          f"| cold start, `stancecls predict \"<one paragraph>\"` as a whole process (median / best of 15 runs) | {cs['stancecls_predict']['median']:.3f} s / "
          f"{cs['stancecls_predict']['min']:.3f} s |",
          f"| for scale: `python -c pass` / importing scikit-learn | {cs['python_pass']['median']:.3f} s / "
          f"{cs['import_sklearn']['median']:.3f} s |"]
    for size, m in pr["memory"].items():
        L.append(f"| `stancecls predict -i -` on {int(size):,} paragraphs (JSON Lines in and out): peak RSS, rate | "
                 f"{m['peak_mb']:.0f} MB, {m['paragraphs_per_second']:,.0f} paragraphs/s |")
    j = pr["jobs"]
    L.append(f"| `--jobs 2` against `--jobs 1` ({pr['cpus']} cores), {n:,} paragraphs | {j['speedup']:.2f}× "
             f"({j['1']['paragraphs_per_second'] if '1' in j else j[1]['paragraphs_per_second']:,.0f} → "
             f"{j['2']['paragraphs_per_second'] if '2' in j else j[2]['paragraphs_per_second']:,.0f} paragraphs/s) |")
    d = pr.get("dask")
    if d:
        one, two = d.get("1", d.get(1)), d.get("2", d.get(2))
        L.append(f"| Dask engine, local cluster of 2 worker processes against 1 | {d['speedup']:.2f}× "
                 f"({one['paragraphs_per_second']:,.0f} → {two['paragraphs_per_second']:,.0f} paragraphs/s) |")
    return "\n".join(L) + "\n"


def robust_block(rb: dict) -> str:
    """Robustness rows (bench_robust.py): inputs tried, faults injected, records lost."""
    L = ["## Robustness: bad input, faults, fuzzing (printed by CI, never checked)", "",
         "`python benchmarks/bench_robust.py`. Each input goes through `stancecls predict --on-error skip` as its own "
         "process. Whole-file problems must exit 2 with an `Error:` line; everything else must give one output record "
         "per input record.", "",
         "| input | exit | records in | records out | lost | as expected | first line of stderr |", "|---|---|---|---|---|---|---|"]
    for r in rb["inputs"]:
        n = "—" if r["records_in"] is None else f"{r['records_in']:,}"
        lost = "—" if r["lost"] is None else str(r["lost"])
        err = r["stderr"].replace("|", "\\|")
        L.append(f"| {r['input']} | {r['exit']} | {n} | {r['records_out']:,} | {lost} | {'yes' if r['ok'] else '**no**'} | {err} |")
    L += ["", "| fault injected | expected | as expected |", "|---|---|---|"]
    for r in rb["faults"]:
        L.append(f"| {r['fault']} | {r['expected']} | {'yes' if r['ok'] else '**no**'} |")
    fz = rb["fuzz"]
    L += ["", f"Fuzzing (`python benchmarks/fuzz.py`, seed {fz['seed']}): {fz['cases']:,} cases ("
          + ", ".join(f"{k} {v:,}" for k, v in fz["per_target"].items())
          + f"); {fz['mutated_bundles_that_loaded']:,} mutated bundles passed every check and predicted; "
          f"exceptions other than the package's own: **{fz['escapes']}**.", "",
          f"**Records lost: {rb['records_lost']}.**"]
    return "\n".join(L) + "\n"


HEADER = """# stancecls benchmark report

Regenerate everything with `python benchmarks/report.py` (needs `pip install ".[test]" fasttext-numpy2-wheel`);
CI runs `python benchmarks/report.py --check`, which regenerates the deterministic part below and fails when
it differs from this file. Each section comes from a script in `benchmarks/` that can also be run alone.

"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare the deterministic part with the committed report")
    ap.add_argument("--rebuild", action="store_true", help="rewrite REPORT.md from results/*.json without running")
    args = ap.parse_args(argv)
    if args.rebuild:
        res = HERE / "results"
        loaded = {k: json.loads((res / f"{k}.json").read_text(encoding="utf-8"))
                  for k in ("labels", "public", "corpus", "agreement", "train", "predict", "robust", "active")}
        block = deterministic_block(loaded["labels"], loaded["public"], loaded["corpus"], loaded["agreement"],
                                    loaded["active"])
        timings = timing_block(loaded["labels"], loaded["public"], loaded["corpus"], loaded["train"])
        timings += "\n" + predict_block(loaded["predict"]) + "\n" + robust_block(loaded["robust"])
        REPORT.write_text(HEADER + block + "\n" + active_mean_block(loaded["active"]) + "\n" + timings, encoding="utf-8")
        print(f"rewrote {REPORT}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        res = Path(tmp) if args.check else HERE / "results"
        res.mkdir(exist_ok=True)
        plot = Path(tmp) / "learning_curve.png" if args.check else HERE / "learning_curve.png"
        labels = bench("bench_labels.py", res / "labels.json", "--plot", str(plot))
        public = bench("bench_public.py", res / "public.json")
        corpus = bench("bench_corpus.py", res / "corpus.json")
        agreement = bench("agreement.py", res / "agreement.json")
        train = bench("bench_train.py", res / "train.json", *(["--no-tune-only"] if args.check else []))
        predict = bench("bench_predict.py", res / "predict.json", *(["--quick"] if args.check else []))
        robust = bench("bench_robust.py", res / "robust.json", *(["--quick"] if args.check else []))
        active_plot = Path(tmp) / "active_learning.png" if args.check else HERE / "active_learning.png"
        active = bench("bench_active.py", res / "active.json", "--plot", str(active_plot),
                       *(["--seeds", "0"] if args.check else []))
        block = deterministic_block(labels, public, corpus, agreement, active)
        if args.check:  # the three-seed mean is not re-run in CI: the committed one is shown
            active = json.loads((HERE / "results" / "active.json").read_text(encoding="utf-8"))
        timings = (timing_block(labels, public, corpus, train) + "\n" + predict_block(predict) + "\n"
                   + robust_block(robust))
    print("\n" + timings)
    if args.check:
        committed = REPORT.read_text(encoding="utf-8")
        old = committed[committed.index(BEGIN): committed.index(END) + len(END)] + "\n"
        if old != block:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), block.splitlines(True), "committed", "regenerated"))
            print("benchmarks/REPORT.md: the deterministic figures differ from a fresh run; regenerate with "
                  "python benchmarks/report.py and commit", file=sys.stderr)
            return 1
        print("benchmarks/REPORT.md: deterministic figures reproduced")
        return 0
    REPORT.write_text(HEADER + block + "\n" + active_mean_block(active) + "\n" + timings, encoding="utf-8")
    print(f"wrote {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
