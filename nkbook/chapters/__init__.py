"""One module per chapter, named exactly as in ``chapters.yml`` (and ``notebooks/<name>.md``)."""
