"""Persistence: SQLAlchemy models, engine/session helpers, repositories, migrations.

Written in SQLAlchemy 2.0 style (``select()``, ``Session.execute``,
``future=True``) on 1.4, which Rasa's SQL tracker store requires.
"""
