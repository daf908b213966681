"""The analysis layer: the arrival series and the statistics every chapter uses."""
