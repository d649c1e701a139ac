"""Games: contests with live standings, points, badges and achievements.

``model`` (the file format), ``query`` (conditions as SQL) and ``scoring`` (standings,
ranks, prizes, achievements) are pure; ``standings``, ``contests``, ``achievements`` and
``live`` are the database and process shell around them.
"""
