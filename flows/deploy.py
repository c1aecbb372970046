"""Scheduled Prefect deployments of the emovox flows, served by this process.

    python -m flows.deploy label ARCHIVE_DIR --out OUT_DIR [--model default] [--cron "0 2 * * *"] [--name nightly]
    python -m flows.deploy extract CORPUS_DIR --store STORE.zarr [--feature-set default] [--cron ...]

Models and feature sets with a Whisper encoder take the flows' encoder options too
(`--encoder-path DIR`; for extract also `--encoder-layer`, `--pooling`, `--compute-type`).

Registers a deployment on the Prefect server named by PREFECT_API_URL and serves it: every
scheduled (or manually triggered) run executes in a subprocess of this one, with the same Dask
options as the flow's own command (`--workers`, or `--address` for a Dask cluster). Both flows are
incremental, so a nightly run over a growing archive labels only the new and changed recordings.
Stop with Ctrl-C (the schedule is paused until served again).

On a cluster: start a Prefect server (`prefect server start`), point PREFECT_API_URL at it, start a
Dask scheduler and workers that can see the archive and the output folder, then run this command
with `--address tcp://scheduler:8786` on any machine with emovox installed. Runs can also be
started by hand: `prefect deployment run emovox-label/NAME`.
"""
from __future__ import annotations


from prefect.deployments.runner import EntrypointType
from prefect.settings import PREFECT_API_URL

from emovox.errors import UsageError
from flows import _cli


def build_parser() -> _cli.ArgumentParser:
    parser = _cli.ArgumentParser(prog="python -m flows.deploy", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="flow", required=True)
    label = sub.add_parser("label", help="label a watched archive on a schedule")
    label.add_argument("archive_dir", metavar="ARCHIVE_DIR")
    label.add_argument("--out", required=True)
    label.add_argument("--model", default="default")
    label.add_argument("--encoder-path", help="CTranslate2 Whisper folder, for models trained on encoder features")
    extract = sub.add_parser("extract", help="extract a growing corpus into a store on a schedule")
    extract.add_argument("corpus_dir", metavar="CORPUS_DIR")
    extract.add_argument("--store", required=True)
    extract.add_argument("--feature-set", default="default")
    extract.add_argument("--encoder-path", help="CTranslate2 Whisper folder (feature sets with 'whisper')")
    extract.add_argument("--encoder-layer", type=int)
    extract.add_argument("--pooling")
    extract.add_argument("--compute-type")
    for p in (label, extract):
        p.add_argument("--cron", default="0 2 * * *", help="schedule, cron syntax (default: every night at 02:00)")
        p.add_argument("--name", default="nightly", help="deployment name")
        p.add_argument("--workers", type=int)
        p.add_argument("--address")
        p.add_argument("--paused", action="store_true", help="register with the schedule paused (runs only by hand)")
    _cli.add_common_options(parser)
    return parser


def main(args) -> int:
    if not PREFECT_API_URL.value():
        raise UsageError(
            "PREFECT_API_URL is not set: start a Prefect server (prefect server start) and "
            "export PREFECT_API_URL=http://127.0.0.1:4200/api, so scheduled runs outlive this command"
        )
    common = {"workers": args.workers, "address": args.address}
    if args.flow == "label":
        from flows.label.flow import label_flow as target
        from labelling.model_cache import model_and_extractor
        from labelling.model_dir import resolve_model_dir

        model_and_extractor(resolve_model_dir(args.model), args.encoder_path)  # a broken model fails here, not at 02:00
        parameters = {"archive_dir": args.archive_dir, "out": args.out, "model": args.model,
                      "encoder_path": args.encoder_path, **common}
    else:
        from featuresets import resolve_feature_set
        from flows.extract import extract_flow as target

        encoder = {"encoder_path": args.encoder_path, "encoder_layer": args.encoder_layer, "pooling": args.pooling,
                   "compute_type": args.compute_type}
        resolve_feature_set(args.feature_set, **encoder)
        parameters = {"corpus_dir": args.corpus_dir, "store": args.store, "feature_set": args.feature_set,
                      **encoder, **common}
    target.serve(
        name=args.name,
        cron=args.cron,
        paused=args.paused,
        parameters=parameters,
        tags=["emovox", args.flow],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    return _cli.EXIT_OK


if __name__ == "__main__":
    _cli.exit(_cli.run(main, build_parser()))
