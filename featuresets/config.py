"""Feature-set configurations: plain frozen dataclasses, a registry by name, a stable hash.

A configuration fully determines the feature vector: two stores whose configurations hash alike
hold comparable features, and a store refuses to mix rows computed under different hashes.
The configuration round-trips through ``to_dict`` / ``from_dict`` so it can live in the store's
attributes and in a model directory's JSON.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from emovox.errors import UsageError

#: Low-level descriptor families a configuration can switch on, in the order their columns appear.
LLD_FAMILIES: tuple[str, ...] = (
    "rms",  # root-mean-square energy per frame
    "zcr",  # zero-crossing rate per frame
    "mfcc",  # MFCC 0..n_mfcc-1 from the log-mel spectrum
    "mfcc_delta",  # first-order regression deltas of the MFCCs
    "mfcc_delta2",  # second-order deltas (deltas of the deltas)
    "logmel",  # log-mel band energies in dB
)

#: Statistics taken over frames, in the order the kernels return them (kernels.FUNCTIONAL_NAMES).
ALL_FUNCTIONALS: tuple[str, ...] = (
    "mean", "std", "min", "max", "range", "p01", "p25", "p50", "p75", "p99",
    "iqr", "skewness", "kurtosis", "slope", "linreg_error",
)


@dataclass(frozen=True)
class FeatureSetConfig:
    """Everything that determines a feature vector.

    Frames are ``frame_length`` samples (25 ms at 16 kHz) every ``hop_length`` samples (10 ms),
    centred on ``t * hop_length`` with zero padding at both ends, so a signal of ``L`` samples gives
    ``1 + L // hop_length`` frames. The spectrum uses a periodic Hann window of ``frame_length``
    zero-padded to ``n_fft``.
    """

    name: str = "default"
    sampling_rate: int = 16000
    frame_length: int = 400
    hop_length: int = 160
    n_fft: int = 512
    n_mels: int = 40
    fmin_hz: float = 0.0
    fmax_hz: float = 8000.0
    mel_scale: str = "slaney"  # "slaney" (librosa's default) or "htk"
    mel_slaney_norm: bool = True
    n_mfcc: int = 20
    delta_width: int = 9
    families: tuple[str, ...] = LLD_FAMILIES
    functionals: tuple[str, ...] = field(default=ALL_FUNCTIONALS)

    def __post_init__(self) -> None:
        unknown = [f for f in self.families if f not in LLD_FAMILIES]
        if unknown:
            raise UsageError(f"feature set {self.name!r}: unknown LLD families {unknown}; known: {list(LLD_FAMILIES)}")
        bad = [f for f in self.functionals if f not in ALL_FUNCTIONALS]
        if bad:
            raise UsageError(f"feature set {self.name!r}: unknown functionals {bad}; known: {list(ALL_FUNCTIONALS)}")
        if self.mel_scale not in ("slaney", "htk"):
            raise UsageError(f"feature set {self.name!r}: mel_scale must be 'slaney' or 'htk', not {self.mel_scale!r}")
        if not 0 < self.frame_length <= self.n_fft:
            raise UsageError(f"feature set {self.name!r}: need 0 < frame_length <= n_fft")

    def to_dict(self) -> dict:
        """A JSON-ready dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSetConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"feature configuration has unknown keys {unknown}: made by a newer emovox?")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**kwargs)

    @property
    def feature_hash(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of the configuration."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


FEATURE_SETS: dict[str, FeatureSetConfig] = {
    "default": FeatureSetConfig(),
    "mfcc": FeatureSetConfig(
        name="mfcc",
        families=("mfcc", "mfcc_delta", "mfcc_delta2"),
        n_mfcc=13,
        functionals=("mean", "std", "min", "max", "skewness", "kurtosis"),
    ),
}


def get_feature_set(name: str) -> FeatureSetConfig:
    """The registered configuration called ``name``; UsageError listing the known ones otherwise."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise UsageError(
            f"unknown feature set {name!r}: choose one of {', '.join(sorted(FEATURE_SETS))}"
        ) from None
