"""The shift report: its view, charts, PDF/CSV export, and the plain-text table `ms5 replay` prints."""
