"""Build the shipped `default-whisper` labelling head from EMO-DB and RAVDESS (both in ../shared/corpora).

    python -m labelling.models.build_default_whisper --encoder-path ~/.cache/emovox/whisper-base
        [--encoder-layer K] [--feature-set whisper] [--model svm-linear] [--corpora ../shared/corpora]

The same steps as ``build_default`` (every step the public command): extract both corpora into one
store with the Whisper features (``--encoder-path``, ``--encoder-layer``), evaluate speaker-
independently over the 34 speakers WITHOUT per-speaker normalisation, train on everything, write
labelling/models/default-whisper/ with its model card. The head holds no encoder weights: its
configuration records the encoder folder's name and the SHA-256 of its ``model.bin``; labelling
finds the weights with ``--encoder-path``, ``$EMOVOX_WHISPER_PATH`` or ``~/.cache/emovox/whisper-base``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from labelling.models.build_default import HERE, model_card_section, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", default=str(HERE.parent.parent.parent / "shared" / "corpora"))
    parser.add_argument("--encoder-path", required=True)
    parser.add_argument("--encoder-layer", type=int)
    parser.add_argument("--feature-set", default="whisper")
    parser.add_argument("--model", default="svm-linear")
    parser.add_argument("--folds", type=int, default=6)
    parser.add_argument("--work", help="folder for the store and the report (default: a temporary one)")
    parser.add_argument("--out", default=str(HERE / "default-whisper"))
    args, model_options = parser.parse_known_args()

    work = Path(args.work or tempfile.mkdtemp(prefix="emovox-default-whisper-"))
    store = work / "emodb+ravdess-whisper.zarr"
    encoder = ["--encoder-path", args.encoder_path] + (["--encoder-layer", str(args.encoder_layer)] if args.encoder_layer else [])
    for corpus in ("emodb", "ravdess"):
        run("flows.extract", str(Path(args.corpora) / corpus), "--store", str(store), "--feature-set", args.feature_set,
            *encoder)
    common = ["--store", str(store), "--model", args.model, "--normalise", "global", *model_options]
    run("flows.evaluate", *common, "--protocol", f"speaker-folds:{args.folds}", "--out", str(work / "report"))
    run("flows.train", *common, "--out", args.out)

    metrics = json.loads((work / "report" / "metrics.json").read_text())
    config = json.loads((Path(args.out) / "config.json").read_text())
    card = Path(args.out) / "MODEL_CARD.md"
    section = model_card_section(metrics, args, model_options).replace(
        "python -m labelling.models.build_default ",
        f"python -m labelling.models.build_default_whisper {' '.join(encoder)} ")
    card.write_text(card.read_text() + section + encoder_section(config["feature_set"]["config"]))
    print(f"default-whisper head written to {args.out}; cross-validated UA {100 * metrics['ua']:.1f} %")


def encoder_section(feature_config: dict) -> str:
    params = feature_config["family_params"]["whisper"]
    name = Path(params["encoder_path"]).name
    return f"""
## The encoder (not shipped: bring your own weights)

This head classifies features of a Whisper encoder it does not contain: the encoder folder
`{name}` (CTranslate2 format), `model.bin` SHA-256 `{params['weights_sha256']}`, cut after encoder
layer {params['encoder_layer']} (then its final layer norm), {params['compute_type']} on the CPU,
{params['pooling']} pooling over the frames of each segment. Other weights (another size, another
conversion or quantisation) are refused by their checksum.

Whisper (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision") is
released by OpenAI under the MIT licence. Get the weights as the README's "Whisper features"
section says (e.g. `ct2-transformers-converter --model openai/whisper-base --output_dir
~/.cache/emovox/whisper-base`; a conversion must give the same `model.bin` checksum, so the
README's recipe for this machine's copy is the reproducible one), then label with
`python -m flows.label ARCHIVE --model default-whisper --encoder-path DIR --out OUT`
(or set `EMOVOX_WHISPER_PATH`, or put the folder at `~/.cache/emovox/{name}`).
"""


if __name__ == "__main__":
    main()
