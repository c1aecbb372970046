"""Command-line options shared by flows.train and flows.evaluate (model kind and pipeline steps)."""
from __future__ import annotations

import argparse
import json

from classify.errors import UsageError
from classify.estimators import MODEL_KINDS, check_kind
from classify.normalise import NORMALISATIONS
from classify.pipeline import CLASS_WEIGHTS, ModelSpec


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="svm", metavar="KIND",
                        help=f"model kind: {', '.join(MODEL_KINDS)}, or a probability fusion such as svm+xgboost "
                             "(default: svm)")
    parser.add_argument("--normalise", default="global", choices=NORMALISATIONS,
                        help="global: standardise with the training rows' statistics (default); speaker: z-normalise "
                             "every speaker with their own statistics (transductive, flagged in reports); none")
    parser.add_argument("--class-weight", default="none", choices=CLASS_WEIGHTS,
                        help="balanced: weight classes inversely to their frequency in training (default: none)")
    parser.add_argument("--select-features", type=int, metavar="K",
                        help="keep the K features with the largest ANOVA F on the training rows")
    parser.add_argument("--calibrate", action="store_true",
                        help="temperature-scale the probabilities on inner speaker-group CV of the training side")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="model parameter (JSON value), e.g. --param C=[1,10] --param max_depth=6; repeatable")
    parser.add_argument("--labels", help="comma-separated labels to use (default: every label in the store)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0): same seed, same numbers")


def parse_params(items: list[str]) -> dict:
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {item!r}: expected NAME=VALUE")
        try:
            params[name.strip()] = json.loads(value)
        except ValueError:
            params[name.strip()] = value  # a bare string, e.g. --param kernel=linear
    return params


def parse_labels(text: str | None) -> list[str] | None:
    if not text:
        return None
    labels = [x.strip() for x in text.split(",") if x.strip()]
    if len(labels) < 2:
        raise UsageError(f"--labels {text!r}: give at least two labels, comma-separated")
    return labels


def spec_from_args(args) -> ModelSpec:
    check_kind(args.model)
    return ModelSpec(kind=args.model, params=parse_params(args.param), normalise=args.normalise,
                     class_weight=args.class_weight, select_features=args.select_features,
                     calibrate=args.calibrate, seed=args.seed)
