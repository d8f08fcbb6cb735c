"""The eval harness: datasets of gold samples, predictors, scorers, metrics, run logs and reports.

After inspect_ai: a :class:`~claimx.evaluate.sample.Sample` has an id, a text and its gold; a run
(:mod:`claimx.evaluate.run`) predicts, scores and logs every sample into a self-describing folder
(:mod:`claimx.evaluate.runlog`) that can be rescored without a model and compared with another.
"""
