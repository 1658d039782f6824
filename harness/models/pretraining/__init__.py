"""Pre-training the embedded default model so that it writes Python in the answer format before any LoRA.

A randomly initialised tiny model cannot learn `<think>...</think>` plus a fenced program in a
few LoRA steps, so every smoke sample came back NO_CODE. Here the tiny model is first trained
(all parameters, CPU, about 4 minutes, once: the seed-0 result ships) on text that has nothing
to do with the bundled problems: `tasks` writes many small stdin/stdout programs with toy
statements, `corpus` runs them for the examples and wraps them in the harness's own chat
prompt, `library` reads this Python's standard-library sources, and `train` fits the model to
both and then to the conversations alone, deterministically for a given seed.
"""
