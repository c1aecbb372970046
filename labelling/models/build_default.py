"""Build the shipped `default` labelling model from EMO-DB and RAVDESS (both in ../shared/corpora).

    python -m labelling.models.build_default [--corpora ../shared/corpora] [--feature-set default] [--model svm-linear]

1. extracts both corpora into one store (harmonised labels: the union of their label sets);
2. evaluates the model the way the labelling flow uses it: speaker-independent folds over the 34
   speakers of both corpora, WITHOUT per-speaker normalisation (an archive has no speaker labels);
3. trains on everything and writes labelling/models/default/ with a model card quoting the
   cross-validated UA/WA, the data, their terms and the known limits.
Every step is the public command (flows.extract, flows.evaluate, flows.train), so the model is
reproducible from the repository.

    python -m labelling.models.build_default --reformat [--out MODEL_DIR]

rewrites an existing model directory's estimator file in the current format (e.g. a linear SVM's
support vectors -> its primal weights), checks that its probabilities are unchanged, and updates
the checksums in config.json; nothing is retrained.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
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
    parser.add_argument("--model", default="svm-linear")  # the shipped default model's kind
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--work", help="folder for the store and the report (default: a temporary one)")
    parser.add_argument("--out", default=str(HERE / "default"))
    parser.add_argument("--reformat", action="store_true", help="rewrite --out's estimator file in the current format")
    args, model_options = parser.parse_known_args()
    if args.reformat:
        reformat(Path(args.out))
        return

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


def reformat(model_dir: Path, check_rows: int = 200) -> None:
    """Re-save ``model_dir``'s estimator arrays in the current format; probabilities must stay the same."""
    import numpy as np

    from classify import load_model

    model = load_model(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    rng = np.random.default_rng(0)
    X = rng.normal(size=(check_rows, len(model.feature_names))) * model.normaliser_.to_arrays()["scale"] \
        + model.normaliser_.to_arrays()["mean"]
    before = model.predict_proba(X)
    tmp = Path(tempfile.mkdtemp(prefix="emovox-reformat-"))
    try:
        files, state = model.estimator_.save(tmp, "")
        for name in files:
            shutil.copyfile(tmp / name, model_dir / name)
            config["files"][name] = hashlib.sha256((model_dir / name).read_bytes()).hexdigest()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    config["model"]["state"] = state
    (model_dir / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    after = load_model(model_dir).predict_proba(X)
    worst = float(np.abs(after - before).max())
    if not np.array_equal(after.argmax(1), before.argmax(1)) or worst > 1e-9:
        sys.exit(f"reformat changed the predictions (largest probability difference {worst:.3g})")
    print(f"{model_dir}: {', '.join(files)} rewritten; predictions unchanged (largest probability difference {worst:.2g})")


def model_card_section(metrics: dict, args, model_options: list[str]) -> str:
    recall = metrics.get("recall", {})
    rows = "\n".join(f"| {label} | {100 * value:.1f} % |" for label, value in recall.items())
    return f"""
## How this model was built and validated

Built by `{' '.join(['python -m labelling.models.build_default', '--feature-set', args.feature_set, '--model', args.model, *model_options])}`
from EMO-DB (535 utterances, 10 speakers, German) and the RAVDESS speech part
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
