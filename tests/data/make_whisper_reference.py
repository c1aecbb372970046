"""Freeze reference log-mel arrays from faster-whisper 1.2.1's numpy port of Whisper's log_mel_spectrogram."""
import sys, numpy as np
import importlib.util
# The single module file, loaded alone (the package's __init__ needs PyAV):
# pip download --no-deps faster-whisper==1.2.1; unzip; faster_whisper/feature_extractor.py
_spec = importlib.util.spec_from_file_location("fw_features", sys.argv[1] if len(sys.argv) > 1 else "/tmp/fw/x/faster_whisper/feature_extractor.py")
_module = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(_module)
FeatureExtractor = _module.FeatureExtractor
import os
OUT = os.path.dirname(os.path.abspath(__file__))
sr = 16000
rng = np.random.default_rng(7)
t = np.arange(int(0.73 * sr)) / sr
signal = (0.3 * np.sin(2 * np.pi * (200 + 1500 * t) * t) + 0.05 * rng.standard_normal(t.size)).astype(np.float32)
signal[int(0.5 * sr):int(0.6 * sr)] = 0.0  # a stretch of digital silence: exercises the floor and clamp
fe = FeatureExtractor(feature_size=80)
ref = fe(signal, padding=0)  # (80, n_frames), Whisper's log_mel_spectrogram(audio, padding=0)
print(ref.shape, ref.dtype, ref.min(), ref.max())
np.save(OUT + "/whisper_mel_input.npy", signal)
np.save(OUT + "/whisper_mel_reference.npy", ref.astype(np.float32))
np.save(OUT + "/whisper_mel_filters80.npy", fe.mel_filters.astype(np.float32))
