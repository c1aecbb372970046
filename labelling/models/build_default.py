"""Build the shipped `default` labelling model from EMO-DB and RAVDESS (both in ../shared/corpora).

    python -m labelling.models.build_default [--corpora ../shared/corpora] [--feature-set default] [--model svm]

1. extracts both corpora into one store (harmonised labels: the union of their label sets);
2. evaluates the model the way the labelling flow uses it: speaker-independent folds over the 34
   speakers of both corpora, WITHOUT per-speaker normalisation (an archive has no speaker labels);
3. trains on everything and writes labelling/models/default/ with a model card quoting the
   cross-validated UA/WA, the data, their terms and the known limits.
Every step is the public command (flows.extract, flows.evaluate, flows.train), so the model is
reproducible from the repository.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def run(*args: str) -> None:
    print("$ python -m", " ".join(args), flush=True)
    done = subprocess.run([sys.executable, "-m", *args], cwd=REPO)
    if done.returncode:
        sys.exit(f"failed: python -m {' '.join(args)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(REPO.parent / "shared" / "corpora"))
    parser.add_argument("--feature-set", default="default")
    parser.add_argument("--model", default="svm")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--work", help="folder for the store and the report (default: a temporary one)")
    parser.add_argument("--out", default=str(HERE / "default"))
    args, model_options = parser.parse_known_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="emovox-default-model-"))
    store = work / "emodb+ravdess.zarr"
    for corpus in ("emodb", "ravdess"):
        run("flows.extract", str(Path(args.corpora) / corpus), "--store", str(store), "--feature-set", args.feature_set)
    common = ["--store", str(store), "--model", args.model, "--normalise", "global", *model_options]
    run("flows.evaluate", *common, "--protocol", f"speaker-folds:{args.folds}", "--out", str(work / "report"))
    run("flows.train", *common, "--out", args.out)

    metrics = json.loads((work / "report" / "metrics.json").read_text())
    card = Path(args.out) / "MODEL_CARD.md"
    card.write_text(card.read_text() + model_card_section(metrics, args, model_options))
    print(f"default model written to {args.out}; cross-validated UA {100 * metrics['ua']:.1f} %")


def model_card_section(metrics: dict, args, model_options: list[str]) -> str:
    recall = metrics.get("recall", {})
    rows = "\n".join(f"| {label} | {100 * value:.1f} % |" for label, value in recall.items())
    return f"""
## How this model was built and validated

Built by `python -m labelling.models.build_default --feature-set {args.feature_set} --model {args.model}
{' '.join(model_options)}` from EMO-DB (535 utterances, 10 speakers, German) and the RAVDESS speech part
(1440 utterances, 24 actors, North American English), labels harmonised to the union of their sets.

Validation, the way the labelling flow uses the model: {args.folds} speaker-independent folds over the
34 speakers of both corpora (no speaker in training and test of the same fold), features standardised
on the training side only, **no per-speaker normalisation** (an archive has no speaker labels).

| metric | value |
| --- | --- |
| UA (unweighted average recall) | {100 * metrics['ua']:.1f} % |
| WA (accuracy) | {100 * metrics['wa']:.1f} % |
| macro-F1 | {100 * metrics['macro_f1']:.1f} % |
| utterances | {metrics['n_utterances']} |

| label | recall |
| --- | ---: |
{rows}

## Known limits

- Acted speech only (actors reading fixed sentences in a studio); spontaneous speech in calls or
  sessions is subtler and noisier, so expect lower accuracy there.
- German and English only; two corpora, 34 speakers.
- `calm` and `surprised` exist only in RAVDESS, `boredom` only in EMO-DB: those labels carry corpus
  (language, recording) cues as well as emotion.
- Segments are classified independently (4 s windows); the file's dominant label is the label of the
  largest share of speech time.
"""


if __name__ == "__main__":
    main()
