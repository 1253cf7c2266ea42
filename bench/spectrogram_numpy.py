"""NumPy reference for the course spectrogram (matplotlib specgram NFFT=200, Fs=8000, noverlap=120).

Usage: python3 bench/spectrogram_numpy.py FILE.wav REPEATS
Prints JSON: {"frames": F, "best_ms": ...}. Reads 16-bit PCM WAV, channel 0.
"""
import json
import sys
import time
import wave

import numpy as np


def spectrogram(x):
    nfft, hop, fs = 200, 80, 8000.0
    if len(x) < nfft:
        x = np.concatenate([x, np.zeros(nfft - len(x))])
    n = 1 + (len(x) - nfft) // hop
    window = np.hanning(nfft)
    idx = np.arange(nfft)[None, :] + hop * np.arange(n)[:, None]
    seg = x[idx] * window
    p = np.abs(np.fft.rfft(seg, axis=1)) ** 2
    p[:, 1:-1] *= 2
    p /= fs * (window ** 2).sum()
    return p


def main():
    path, repeats = sys.argv[1], int(sys.argv[2])
    with wave.open(path) as w:
        ch = w.getnchannels()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').reshape(-1, ch)[:, 0]
    x = raw.astype(np.float64)
    best = float('inf')
    for _ in range(repeats):
        t = time.perf_counter()
        p = spectrogram(x)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"frames": p.shape[0], "best_ms": best * 1000}))


if __name__ == '__main__':
    main()
