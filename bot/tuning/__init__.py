"""Automatic tuning of the NLU (`finbot tune`): search space, cross-validated objective, Optuna study, report.

- ``search_space``: the YAML file of parameter ranges, loaded and checked
- ``pipeline``: a trial's design -> a Rasa config (from the template config)
- ``objective``: cross-validation on the training data, fold by fold, and the score
- ``study``: storage, the budgeted trial loop with pruning, the ensemble check, writing configs
- ``report``: the trials table, the Pareto front, the chosen configuration
"""

DEFAULT_STUDY = "finbot-nlu"
