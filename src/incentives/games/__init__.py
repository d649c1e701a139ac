"""Games: contests with live standings, points, badges and achievements.

``model`` (the file format), ``query`` (contests' and rules' conditions as SQL),
``scoring`` (standings, ranks, prizes) and ``rules`` (what achievements owe) are pure;
``standings``, ``contests``, ``achievements``, ``live`` and ``schedule`` are the database,
process and scheduler shell around them.
"""
