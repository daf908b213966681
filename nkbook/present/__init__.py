"""The presentation layer: chart theme and builders, tables, glue and results, computed wording."""
