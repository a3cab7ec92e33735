"""Reading what callers really say: requests, yes/no/done, window choices, names, addresses.

Pure functions over one utterance (English or Spanish, as a speech recogniser writes it: no
punctuation, numbers as words, fillers). Each returns `None` when unsure, so the dialogue asks
again instead of acting on a guess. Measured by `bench/understanding.py` over the labelled
corpus in `tests/engine/corpus/`.
"""
