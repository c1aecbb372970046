"""Feature-set configurations: plain frozen dataclasses, a registry by name, a stable hash.

A configuration fully determines the feature vector: two stores whose configurations hash alike
hold comparable features, and a store refuses to mix rows computed under different hashes.
The configuration round-trips through ``to_dict`` / ``from_dict`` so it can live in the store's
attributes and in a model directory's JSON. ``to_dict`` spells out every family's parameters,
defaults included, so changing a default changes the hash.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emovox.errors import UsageError
from featuresets.families import FAMILIES, with_requirements

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
    zero-padded to ``n_fft``. ``families`` names the descriptor families (see
    ``featuresets.families.FAMILIES``); ``family_params`` overrides their parameters by name.
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
    families: tuple[str, ...] = ("rms", "zcr", "mfcc", "mfcc_delta", "mfcc_delta2", "logmel")  # see FEATURE_SETS
    functionals: tuple[str, ...] = ALL_FUNCTIONALS
    family_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [f for f in self.families if f not in FAMILIES]
        if unknown:
            raise UsageError(f"feature set {self.name!r}: unknown families {unknown}; known: {list(FAMILIES)}")
        bad = [f for f in self.functionals if f not in ALL_FUNCTIONALS]
        if bad:
            raise UsageError(f"feature set {self.name!r}: unknown functionals {bad}; known: {list(ALL_FUNCTIONALS)}")
        if self.mel_scale not in ("slaney", "htk"):
            raise UsageError(f"feature set {self.name!r}: mel_scale must be 'slaney' or 'htk', not {self.mel_scale!r}")
        if not 0 < self.frame_length <= self.n_fft or self.frame_length % 2:
            raise UsageError(f"feature set {self.name!r}: need an even frame_length with 0 < frame_length <= n_fft")
        for family in self.family_params:
            if family not in FAMILIES:
                raise UsageError(f"feature set {self.name!r}: parameters for unknown family {family!r}")
        for family in FAMILIES:
            self.params_of(family)  # validates the overrides

    def params_of(self, family: str):
        """The family's parameter dataclass, defaults overridden by ``family_params[family]``."""
        params_type = FAMILIES[family].Params
        overrides = dict(self.family_params.get(family, {}))
        try:
            return params_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()})
        except TypeError as error:
            raise UsageError(f"feature set {self.name!r}: bad parameters for family {family!r}: {error}") from None

    def to_dict(self) -> dict:
        """A JSON-ready dict (tuples become lists), the parameters of every family computed spelled out."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "family_params"}
        data["family_params"] = {
            family: dataclasses.asdict(self.params_of(family)) for family in with_requirements(self.families)
        }
        return json.loads(json.dumps(data))

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


#: Every family meant to be selected (names starting with "_" are internal helpers of other families).
#: Families computed by a pretrained encoder (``needs_encoder``, e.g. ``whisper``) are never part of
#: ``default``: they need weights the user provides (see ``featuresets.encoded``).
PUBLIC_FAMILIES: tuple[str, ...] = tuple(
    name for name in FAMILIES if not name.startswith("_") and not getattr(FAMILIES[name], "needs_encoder", False)
)


def _named(name: str, families: tuple[str, ...], **overrides) -> FeatureSetConfig:
    missing = [f for f in families if f not in FAMILIES]
    if missing:  # a family module failed to register: fail loudly at import, not in a worker
        raise RuntimeError(f"feature set {name!r} names unregistered families {missing}")
    return FeatureSetConfig(name=name, families=families, **overrides)


FEATURE_SETS: dict[str, FeatureSetConfig] = {
    # Everything: energy, cepstral, spectral, chroma, rhythm, pitch and voice quality, LPC, TEO,
    # modulation spectra, wavelets and Fourier parameters.
    "default": _named("default", PUBLIC_FAMILIES),
    # The MFCC statistics of the survey's classical rows: 13 MFCC with deltas, 6 statistics each.
    "mfcc": _named(
        "mfcc", ("mfcc", "mfcc_delta", "mfcc_delta2"), n_mfcc=13,
        functionals=("mean", "std", "min", "max", "skewness", "kurtosis"),
    ),
    "prosody": _named(
        "prosody",
        ("rms", "zcr", "temporal_centroid", "signal_variance", "log_energy", "onset_strength", "beat_histogram",
         "pitch", "voice_quality"),
    ),
    "spectral": _named(
        "spectral",
        ("spectral_shape", "spectral_contrast", "spectral_flux", "chroma", "lpc", "lpcc", "fourier_params"),
    ),
    "msf": _named("msf", ("msf",)),
    "teo": _named("teo", ("teo", "teo_cb")),
    "wavelet": _named("wavelet", ("dwt", "cwt")),
}


def get_feature_set(name: str) -> FeatureSetConfig:
    """The registered configuration called ``name``; UsageError listing the known ones otherwise."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise UsageError(
            f"unknown feature set {name!r}: choose one of {', '.join(sorted(FEATURE_SETS))}"
        ) from None
