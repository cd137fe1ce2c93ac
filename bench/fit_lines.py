"""Learn the offline scorer's line model from the development part of the real set.

    python -m bench.fit_lines          # writes the line model beside the scorer
    python -m bench.fit_lines --check   # fails when the committed file differs

Every sentence of every talk of the development part (``bench/realset``: the spoken
``dev`` talks and the text-only ``train`` talks) is a sample: its phrasing features
(:mod:`reelmake.stages.scores.phrasing`) and whether the audience laughed at it. A
logistic regression with an L2 penalty is fitted by Newton's method from zero, a
fixed number of steps: the same texts give the same weights on any machine. The
held-out part is never read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence

import numpy as np

from bench import realset
from reelmake.stages.scores import phrasing

PENALTY = 2.0  # L2 on the standardised weights: few positives, keep them small
STEPS = 25


def samples(talks: Sequence[realset.Talk]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for talk in talks:
        previous = ""
        for line in talk.lines:
            features = phrasing.line_features(phrasing.Line(line.text, previous))
            rows.append([features[k] for k in phrasing.LINE_FEATURES])
            labels.append(float(line.moment))
            previous = line.text
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.float64)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-penalised logistic regression (bias unpenalised)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], PENALTY)
    penalty[-1] = 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (p - y) + penalty * beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + np.diag(penalty)
        beta -= np.linalg.solve(hessian, gradient)
    return beta[:-1], float(beta[-1])


def model(talks: Sequence[realset.Talk]) -> phrasing.LineModel:
    x, y = samples(talks)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    weights, bias = fit((x - mean) / scale, y)
    texts = "\n".join(line.text for t in talks for line in t.lines)
    names = phrasing.LINE_FEATURES
    return phrasing.LineModel(
        weights={k: round(float(w), 4) for k, w in zip(names, weights, strict=True)},
        bias=round(bias, 4),
        mean={k: round(float(m), 4) for k, m in zip(names, mean, strict=True)},
        scale={k: round(float(s), 4) for k, s in zip(names, scale, strict=True)},
        trained_on=(
            f"bench/realset, parts dev and train: {len(talks)} talks, {len(y)} lines, "
            f"{int(y.sum())} marked laughs; texts sha256 "
            f"{hashlib.sha256(texts.encode()).hexdigest()[:12]}"
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fit_lines")
    parser.add_argument("--check", action="store_true",
                        help="only compare with the committed weights")  # fmt: skip
    args = parser.parse_args(argv)
    learned = model(realset.load_talks("dev") + realset.load_talks(realset.TRAIN))
    text = json.dumps(learned.to_json(), indent=2) + "\n"
    if args.check:
        same = phrasing.MODEL_PATH.read_text(encoding="utf-8") == text
        print("line model: up to date" if same else "line model: differs")
        return 0 if same else 1
    phrasing.MODEL_PATH.write_text(text, encoding="utf-8")
    for k, w in learned.weights.items():
        print(f"  {k:<14} {w:+.3f}")
    print(f"  {'bias':<14} {learned.bias:+.3f}\n{learned.trained_on}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
