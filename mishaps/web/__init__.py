"""Browse the casebook in a web browser: a read-only snapshot served by Datasette.

``snapshot`` copies the database and adds browse tables, ``metadata`` describes them from the
format's own documentation, ``plugin`` is our Datasette plugin (PDF briefs from case pages) and
``server`` starts Datasette; ``facets`` counts mishaps by list values for the plugin. Datasette is
imported only by ``server``, ``plugin`` and ``facets``, and only when serving, so the command line
never pays for it.
"""
