"""Train-and-benchmark harness for code LLMs: the orchestration and the ML side.

The pipeline reads in data-flow order: problems -> training -> generation -> extraction ->
evaluation (sandboxes + judges) -> scoring -> reports. Heavy libraries load only inside
the stage that needs them.
"""

__version__ = "0.1.0"
