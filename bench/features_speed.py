"""Feature-extraction speed on one core: emovox against openSMILE ComParE_2016 and librosa (issue 3).

    python bench/features_speed.py [CORPUS_WAV_DIR] [--files 200] [--repeats 3]

(defaults: the first 200 files, sorted by name, of ../shared/corpora/emodb/wav). A script, not a
test: nothing here asserts a speed. Single process, one thread everywhere (OMP/MKL/OpenBLAS/Numba
thread counts are set to 1 below, before numpy is imported).

Rows (each over the same files; CPU time = ``time.process_time``, wall = ``time.perf_counter``;
medians over ``--repeats``, the runs of one repeat interleaved so they see the same machine load):
  emovox default          ``flows._work.extract_file`` with the ``default`` feature set: decode
                          (audio_io) + every family + functionals, as a pipeline worker does
  emovox shared subset    the same with only the families librosa also computes (SHARED_FAMILIES)
  librosa shared subset   audio_io decode + librosa 0.11 computing those descriptors (one STFT
                          shared by mel, MFCC + deltas, spectral shape, contrast, chroma; ZCR, RMS
                          and YIN on the signal); frame-level only, no functionals
  openSMILE ComParE_2016  ``opensmile.Smile(ComParE_2016, Functionals).process_file`` (its own decoder)
Printed: seconds of audio per CPU second ("x real time", per core) and per wall second; the
ratios emovox default / openSMILE (target >= 20), emovox shared / librosa (target >= 5) and
emovox default vs real time (target >= 1000 per core); the first-call time of each tool
(building it and its first file: Numba cache load / JIT, config parsing), measured before the
timed runs (the emovox shared subset's comes after the default set has loaded the kernels); and
where emovox's time goes: one extra, instrumented pass (``FeatureExtractor.timings``) that
charges CPU time to decode, framing, the shared per-block work (frames, power spectrum and its
transpose, log-mel, time-domain frame statistics), each family's stage-1 (per block) and stage-2
(per utterance) call, LLD assembly and functionals, then a per-family total. Per-block results
two families share (YIN for pitch and voice_quality, LPC for lpc and lpcc) are charged to the
first one asking (pitch, lpc).
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

#: emovox families that compute what the librosa row computes (MFCC + deltas, log-mel, spectral
#: centroid / bandwidth / roll-off / flatness (+ entropy), contrast, ZCR, RMS, chroma, YIN pitch).
SHARED_FAMILIES = ("rms", "zcr", "mfcc", "mfcc_delta", "mfcc_delta2", "logmel", "spectral_shape",
                   "spectral_contrast", "chroma", "pitch")
SR = 16000
HOP = 160
N_FFT = 512
WIN = 400


def _clock():
    return time.process_time(), time.perf_counter()


def _since(start):
    cpu, wall = _clock()
    return cpu - start[0], wall - start[1]


class Emovox:
    def __init__(self, config, label):
        from featuresets import FeatureExtractor
        from flows._work import extract_file

        self.label = label
        self._extract_file = extract_file
        self.extractor = FeatureExtractor(config)

    def __call__(self, path: str) -> float:
        return self._extract_file(self.extractor, path, block_seconds=30.0)[1]


class Librosa:
    label = "librosa shared subset"

    def __init__(self):
        import librosa

        import audio_io

        self.librosa = librosa
        self.load = audio_io.load
        self.mel_basis = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=40)

    def __call__(self, path: str) -> float:
        lr = self.librosa
        y = self.load(path)
        stft = lr.stft(y, n_fft=N_FFT, hop_length=HOP, win_length=WIN, window="hann", center=True,
                       pad_mode="constant")
        magnitude = np.abs(stft)
        power = magnitude**2
        log_mel = lr.power_to_db(self.mel_basis @ power, ref=1.0, amin=1e-10, top_db=None)
        mfcc = lr.feature.mfcc(S=log_mel, n_mfcc=20)
        lr.feature.delta(mfcc, width=9, order=1, mode="nearest")
        lr.feature.delta(mfcc, width=9, order=2, mode="nearest")
        lr.feature.spectral_centroid(S=magnitude, sr=SR, n_fft=N_FFT)
        lr.feature.spectral_bandwidth(S=magnitude, sr=SR, n_fft=N_FFT)
        lr.feature.spectral_rolloff(S=magnitude, sr=SR, n_fft=N_FFT, roll_percent=0.85)
        lr.feature.spectral_rolloff(S=magnitude, sr=SR, n_fft=N_FFT, roll_percent=0.95)
        lr.feature.spectral_flatness(S=magnitude)
        lr.feature.spectral_contrast(S=magnitude, sr=SR, n_fft=N_FFT)
        lr.feature.chroma_stft(S=power, sr=SR, n_fft=N_FFT, tuning=0.0)
        lr.feature.zero_crossing_rate(y, frame_length=WIN, hop_length=HOP)
        lr.feature.rms(y=y, frame_length=WIN, hop_length=HOP, pad_mode="constant")
        lr.yin(y, fmin=60.0, fmax=500.0, sr=SR, frame_length=1024, hop_length=HOP)
        return len(y) / SR


class OpenSmile:
    label = "openSMILE ComParE_2016 functionals"

    def __init__(self):
        import opensmile

        self.smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                                     feature_level=opensmile.FeatureLevel.Functionals)

    def __call__(self, path: str) -> float:
        self.smile.process_file(path)
        return float("nan")


def run(tool, paths) -> tuple[float, float, float]:
    """(audio seconds, CPU seconds, wall seconds) of ``tool`` over ``paths``."""
    start = _clock()
    audio = sum(tool(p) for p in paths)
    cpu, wall = _since(start)
    return audio, cpu, wall


def breakdown(tool: Emovox, paths, audio_seconds: float, plain_cpu: float) -> None:
    extractor = tool.extractor
    extractor.timings = timings = {}
    start = _clock()
    for p in paths:
        tool(p)
    cpu, _ = _since(start)
    extractor.timings = None
    n_frames = audio_seconds * SR / HOP
    accounted = sum(timings.values())

    def row(label: str, seconds: float, share_of: float) -> str:
        return (f"{label:34s} {1e3 * seconds / audio_seconds:14.4f} {1e6 * seconds / n_frames:13.3f} "
                f"{100 * seconds / share_of:6.1f}%")

    print(f"\nWhere emovox 'default' spends its CPU time (one instrumented pass: {cpu:.3f} s CPU, "
          f"{audio_seconds / cpu:.0f}x real time; the parts below sum to {accounted:.3f} s)")
    print(f"{'part':34s} {'ms per s audio':>14s} {'us per frame':>13s} {'share':>7s}")
    for key, value in sorted(timings.items(), key=lambda kv: -kv[1]):
        if value >= 1e-3 * accounted:
            print(row(key, value, accounted))
    small = sum(v for v in timings.values() if v < 1e-3 * accounted)
    print(row("(parts below 0.1 % each)", small, accounted))
    print(row("(rest: file open, checks, glue)", plain_cpu - accounted, accounted)
          + "  = the uninstrumented median minus the parts (the timers themselves cost "
          f"{1e6 * (cpu - plain_cpu) / n_frames:.2f} us per frame here)")
    groups: dict[str, float] = {}
    for key, value in timings.items():
        groups[key.split(" ")[0]] = groups.get(key.split(" ")[0], 0.0) + value
    print("by stage: " + ", ".join(f"{k} {1e3 * v / audio_seconds:.3f}" for k, v in
                                   sorted(groups.items(), key=lambda kv: -kv[1])) + " (ms per s of audio)")

    # Per selected family: its own stage-1 and stage-2 calls (plus those of the helper families
    # only it requires), and its share of the functionals and the LLD assembly by LLD columns.
    # Shared per-block work (frames, power spectrum, log-mel, time-domain statistics) is listed
    # separately: it stays as long as any family that reads it stays.
    from featuresets.families import FAMILIES

    selected = list(extractor.config.families)
    n_lld = len(extractor.lld_names)
    per_lld = (timings.get("functionals", 0.0) + timings.get("assembly", 0.0)) / max(n_lld, 1)
    helpers = {name: [h for h in FAMILIES[name].requires if h not in selected] for name in selected}
    rows = []
    for name in selected:
        family = extractor._families[name]
        own = [name] + helpers[name]
        stage = sum(timings.get(f"stage1 {f}", 0.0) + timings.get(f"stage2 {f}", 0.0) for f in own)
        lld = len(family.frame_lld_names()) + len(family.sequence_lld_names())
        rows.append((name, lld, len(family.utterance_names()), stage, lld * per_lld))
    shared = sum(v for k, v in timings.items() if k.startswith("shared "))
    print(f"\nPer family (us per frame; functionals + assembly charged by LLD column; the shared spectra "
          f"and frame statistics, {1e6 * shared / n_frames:.2f} us per frame, not included)")
    print(f"{'family':22s} {'LLDs':>5s} {'utt.':>5s} {'stages':>8s} {'functionals':>12s} {'total':>8s}")
    for name, lld, utt, stage, fun in sorted(rows, key=lambda r: -(r[3] + r[4])):
        print(f"{name:22s} {lld:5d} {utt:5d} {1e6 * stage / n_frames:8.3f} {1e6 * fun / n_frames:12.3f} "
              f"{1e6 * (stage + fun) / n_frames:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wav_dir", nargs="?", default=str(REPO.parent / "shared" / "corpora" / "emodb" / "wav"))
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], choices=["opensmile", "librosa", "shared"],
                        help="leave rows out (e.g. for a quick look at emovox alone)")
    args = parser.parse_args()
    paths = sorted(str(p) for p in Path(args.wav_dir).glob("*.wav"))[: args.files]
    if not paths:
        sys.exit(f"no .wav files in {args.wav_dir}")
    warnings.filterwarnings("ignore")

    from featuresets import FeatureSetConfig, get_feature_set

    first_call: dict[str, float] = {}
    tools = []
    for make, key in (
        (lambda: Emovox(get_feature_set("default"), "emovox default"), None),
        (lambda: Emovox(FeatureSetConfig(name="shared", families=SHARED_FAMILIES), "emovox shared subset"), "shared"),
        (Librosa, "librosa"),
        (OpenSmile, "opensmile"),
    ):
        if key in args.skip:
            continue
        start = _clock()
        tool = make()
        tool(paths[0])  # Numba cache load / JIT, caches, config parsing: measured, then excluded
        first_call[tool.label] = _since(start)[0]
        tools.append(tool)

    results: dict[str, list[tuple[float, float, float]]] = {t.label: [] for t in tools}
    for _ in range(args.repeats):
        for tool in tools:
            results[tool.label].append(run(tool, paths))
    audio = results["emovox default"][0][0]

    print(f"{len(paths)} files of {args.wav_dir}: {audio:.1f} s of audio; CPU time and wall time, "
          f"median of {args.repeats}; one process, one thread")
    print(f"{'run':36s} {'CPU s':>8s} {'wall s':>8s} {'x real time / CPU':>18s} {'x real time / wall':>19s} "
          f"{'first call s':>13s}")
    speed: dict[str, float] = {}
    for label, rows in results.items():
        cpu = statistics.median(r[1] for r in rows)
        wall = statistics.median(r[2] for r in rows)
        speed[label] = audio / cpu
        print(f"{label:36s} {cpu:8.3f} {wall:8.3f} {audio / cpu:18.0f} {audio / wall:19.0f} "
              f"{first_call[label]:13.3f}")
    # Ratios of medians and, below, the median of the per-repeat ratios (same repeat, same load).
    def ratio(a: str, b: str) -> str:
        if a not in results or b not in results:
            return "n/a"
        per_repeat = statistics.median(ra[1] and (rb[1] / ra[1]) for ra, rb in zip(results[a], results[b]))
        return f"{speed[a] / speed[b]:.1f}x (per-repeat median {per_repeat:.1f}x)"

    print(f"emovox default / openSMILE ComParE_2016 : {ratio('emovox default', OpenSmile.label)}   target >= 20x")
    print(f"emovox shared subset / librosa          : {ratio('emovox shared subset', Librosa.label)}   target >= 5x")
    print(f"emovox default vs real time, per core   : {speed['emovox default']:.0f}x   target >= 1000x")
    breakdown(tools[0], paths, audio, statistics.median(r[1] for r in results["emovox default"]))


if __name__ == "__main__":
    main()
